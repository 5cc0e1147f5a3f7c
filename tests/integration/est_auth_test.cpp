// Authentication gates, channel binding, rate limits and trust-bundle reload
// against the real daemon, with real TLS clients: curl for Basic and client
// certificates (also from a second source address, 127.0.0.2), and the
// project's EST client library where the CSR must be built while the TLS
// session is held (channel binding).
#include <filesystem>
#include <signal.h>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "estd/client/connection_options.hpp"
#include "estd/client/csr_builder.hpp"
#include "estd/client/encoding.hpp"
#include "estd/client/est_client.hpp"
#include "estd/client/url.hpp"
#include "estd/https/connection.hpp"
#include "support/audit_log.hpp"
#include "support/daemon_test.hpp"
#include "support/test_pki.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

struct Reply {
    std::string status;
    std::string headers;
    std::string body;
};

class EstAuthTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-auth");
        make_dev_pki(dir_ / "pki", "auth");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out device.key");
    }

    Daemon::Environment base_env() const { return dev_pki_environment(dir_); }
    // Two est-mtls profiles, corp and iot, each trusting its own CA
    // (corp-ca.crt, iot-ca.crt).
    Daemon::Environment corp_and_iot_mtls_env() const {
        auto env = base_env();
        env["CERTCTL_EST_PROFILES"] = "corp,iot";
        for (const std::string name : {"CORP", "IOT"}) {
            const std::string prefix = "CERTCTL_EST_PROFILE_" + name + "_";
            env[prefix + "MTLS_ENABLED"] = "true";
            env[prefix + "ALLOWED_AUTH_MODES"] = "mtls";
            env[prefix + "MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] =
                p(name == "CORP" ? "corp-ca.crt" : "iot-ca.crt");
        }
        return env;
    }

    // One curl request; `args` may add -u, --cert/--key, --interface, -H.
    Reply curl(const std::string& args, const std::string& path) {
        const std::string n = std::to_string(++calls_);
        Reply reply;
        reply.status = sh("curl -sS --cacert pki/root-ca.crt -D h" + n + ".txt -o b" + n +
                          ".txt -w '%{http_code}' " + args + " " + daemon_.url(path));
        reply.headers = read_file(dir_ / ("h" + n + ".txt"));
        reply.body = read_file(dir_ / ("b" + n + ".txt"));
        return reply;
    }
    // A fresh CSR for `cn` (device.key), as the body of a simpleenroll.
    std::string csr_args(const std::string& cn) {
        sh("openssl req -new -key device.key -subj '/CN=" + cn + "' -outform DER | base64 -w0 > '" +
           cn + ".b64'");
        return "-H 'Content-Type: application/pkcs10' --data-binary '@" + cn + ".b64' ";
    }

    // A client CA and certificates from it, made with the openssl CLI.
    void make_client_ca(const std::string& name) {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name + "-ca.key");
        sh("openssl req -x509 -new -key " + name + "-ca.key -subj '/CN=" + name +
           " bootstrap CA' -days 30 -addext basicConstraints=critical,CA:true -addext "
           "keyUsage=critical,keyCertSign -out " +
           name + "-ca.crt");
    }
    // days < 0 makes a certificate that has already expired.
    void make_client_cert(const std::string& ca, const std::string& name, int days = 30) {
        sh("printf 'extendedKeyUsage=clientAuth\\n' > client.ext");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
        sh("openssl req -new -key " + name + ".key -subj '/CN=" + name +
           "' | openssl x509 -req -CA " + ca + "-ca.crt -CAkey " + ca +
           "-ca.key -CAcreateserial -days " + std::to_string(days) + " -extfile client.ext -out " +
           name + ".crt 2>/dev/null");
    }
    static std::string cert_args(const std::string& name) {
        return "--cert " + name + ".crt --key " + name + ".key ";
    }

    std::vector<nlohmann::json> audit_rows() const {
        return read_audit_rows(dir_ / "data/audit.log");
    }
    std::size_t count_rows(const std::string& action, const std::string& profile) const {
        std::size_t n = 0;
        for (const auto& row : audit_rows()) {
            n += row.value("action", "") == action && row.value("profile", "") == profile;
        }
        return n;
    }
    const nlohmann::json last_row() const {
        const auto rows = audit_rows();
        return rows.empty() ? nlohmann::json::object() : rows.back();
    }

    bool wait_for(const std::function<bool()>& condition) {
        for (int i = 0; i < 100; ++i) {
            if (condition()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    int calls_ = 0;
};

bool has_header(const Reply& reply, const std::string& name_and_value) {
    std::string lower_headers = reply.headers;
    std::string lower_wanted = name_and_value;
    for (auto* text : {&lower_headers, &lower_wanted}) {
        for (char& c : *text) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return lower_headers.find(lower_wanted) != std::string::npos;
}

TEST_F(EstAuthTest, FailedBasicLocksTheSourceOutEvenWithTheRightPassword) {
    auto env = base_env();
    env["CERTCTL_EST_PROFILES"] = "corp";
    env["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "basic";
    env["CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD"] = "Tr0ub4dor-and-3";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    const std::string enroll = "/.well-known/est/corp/simpleenroll";

    // No credentials: 401 with the challenge; cacerts needs none.
    auto reply = curl(csr_args("dev-a"), enroll);
    EXPECT_EQ(reply.status, "401");
    EXPECT_TRUE(has_header(reply, "WWW-Authenticate: Basic realm=\"estd\"")) << reply.headers;
    EXPECT_EQ(curl("", "/.well-known/est/corp/cacerts").status, "200");

    for (int i = 0; i < 10; ++i) {
        reply = curl("-u device:wrong-" + std::to_string(i) + " " + csr_args("dev-a"), enroll);
        EXPECT_EQ(reply.status, "401") << "attempt " << i + 1;
    }
    // The 11th attempt from this address: 429 even with the right password.
    reply = curl("-u device:Tr0ub4dor-and-3 " + csr_args("dev-a"), enroll);
    EXPECT_EQ(reply.status, "429") << reply.body;
    EXPECT_TRUE(has_header(reply, "Retry-After: ")) << reply.headers;
    // Another source address still enrolls.
    reply = curl("--interface 127.0.0.2 -u device:Tr0ub4dor-and-3 " + csr_args("dev-b"), enroll);
    EXPECT_EQ(reply.status, "200") << reply.body;

    EXPECT_EQ(count_rows("est_auth_failed_basic", "corp"), 12u);  // 1 + 10 + the lockout
    EXPECT_EQ(count_rows("est_simple_enroll_success", "corp"), 1u);
    EXPECT_EQ(last_row()["source_ip"], "127.0.0.2");
    // The password is nowhere: not in the audit trail, not in the log.
    EXPECT_EQ(read_file(dir_ / "data/audit.log").find("Tr0ub4dor"), std::string::npos);
    EXPECT_EQ(daemon_.log().find("Tr0ub4dor"), std::string::npos);
}

TEST_F(EstAuthTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
    auto env = base_env();
    env["CERTCTL_EST_PROFILES"] = "corp";
    env["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "basic";
    env["CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD"] = "pw-123456";
    env["CERTCTL_TRUSTED_PROXIES"] = "127.0.0.1/32";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    const std::string enroll = "/.well-known/est/corp/simpleenroll";
    const std::string client_a = "-H 'X-Forwarded-For: 203.0.113.7' ";
    const std::string client_b = "-H 'X-Forwarded-For: 203.0.113.8' ";

    // Through the trusted proxy (127.0.0.1): each forwarded client has its own count.
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(curl(client_a + "-u x:bad " + csr_args("dev-a"), enroll).status, "401");
    }
    EXPECT_EQ(last_row()["source_ip"], "203.0.113.7");
    EXPECT_EQ(curl(client_a + "-u x:pw-123456 " + csr_args("dev-a"), enroll).status, "429");
    EXPECT_EQ(curl(client_b + "-u x:pw-123456 " + csr_args("dev-b"), enroll).status, "200");
    EXPECT_EQ(last_row()["source_ip"], "203.0.113.8");

    // From an untrusted peer the header is ignored: the peer is the client.
    EXPECT_EQ(
        curl("--interface 127.0.0.2 " + client_a + "-u x:pw-123456 " + csr_args("dev-c"), enroll)
            .status,
        "200");
    EXPECT_EQ(last_row()["source_ip"], "127.0.0.2");
}

// The -H argument nginx's proxy_set_header X-SSL-Client-Cert
// $ssl_client_escaped_cert would send for the certificate in `pem_file`:
// the PEM percent-encoded (RFC 3986 unreserved characters kept).
std::string forwarded_cert_header(const std::string& pem) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out = "-H 'X-SSL-Client-Cert: ";
    for (const char c : pem) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(c);
        } else {
            out += {'%', kHex[byte >> 4], kHex[byte & 0x0f]};
        }
    }
    return out + "' ";
}

// A client certificate in X-SSL-Client-Cert (what a TLS-terminating proxy
// forwards) from a trusted proxy goes through every gate a TLS client
// certificate does; from anyone else it is refused and audited.
TEST_F(EstAuthTest, ForwardedClientCertificateCountsOnlyFromTrustedProxies) {
    make_client_ca("corp");
    make_client_ca("iot");
    make_client_cert("corp", "corp-laptop");
    make_client_cert("corp", "corp-expired", -1);
    make_client_cert("iot", "iot-sensor");
    sh("printf 'basicConstraints=critical,CA:TRUE\\nextendedKeyUsage=clientAuth\\n' > sub-ca.ext");
    sh("openssl ecparam -name prime256v1 -genkey -noout -out sub-ca.key");
    sh("openssl req -new -key sub-ca.key -subj '/CN=sub-ca' | openssl x509 -req -CA corp-ca.crt "
       "-CAkey corp-ca.key -CAcreateserial -days 30 -extfile sub-ca.ext -out sub-ca.crt "
       "2>/dev/null");
    auto env = corp_and_iot_mtls_env();
    env["CERTCTL_TRUSTED_PROXIES"] = "127.0.0.1/32";
    env["CERTCTL_API_KEYS_NAMED"] = "ops:proxy-test-admin-key:admin";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    const auto fwd = [this](const std::string& cert) {
        return forwarded_cert_header(read_file(dir_ / cert));
    };
    const std::string client = "-H 'X-Forwarded-For: 203.0.113.9' ";
    const std::string enroll = "/.well-known/est-mtls/corp/simpleenroll";

    // Through the trusted proxy (127.0.0.1): enrolled, audited with the real client address.
    auto reply = curl(client + fwd("corp-laptop.crt") + csr_args("laptop-1"), enroll);
    ASSERT_EQ(reply.status, "200") << reply.body;
    auto row = last_row();
    EXPECT_EQ(row["action"], "est_simple_enroll_success");
    EXPECT_EQ(row["source_ip"], "203.0.113.9");
    write_file(dir_ / "laptop-1.p7.b64", reply.body);
    sh("base64 -d laptop-1.p7.b64 | openssl pkcs7 -inform DER -print_certs | openssl x509 -out "
       "laptop-1.crt");

    // The profile's gates as for a TLS certificate: another profile's bundle,
    // expired, a CA certificate.
    reply = curl(client + fwd("iot-sensor.crt") + csr_args("sneaky"), enroll);
    EXPECT_EQ(reply.status, "401") << reply.body;
    EXPECT_EQ(last_row()["action"], "est_auth_failed_mtls");
    EXPECT_EQ(last_row()["source_ip"], "203.0.113.9");
    reply = curl(client + fwd("corp-expired.crt"), "/.well-known/est-mtls/corp/cacerts");
    EXPECT_EQ(reply.status, "401");
    EXPECT_NE(reply.body.find("expired"), std::string::npos) << reply.body;
    reply = curl(client + fwd("sub-ca.crt"), "/.well-known/est-mtls/corp/cacerts");
    EXPECT_EQ(reply.status, "401");
    EXPECT_NE(reply.body.find("CA:TRUE"), std::string::npos) << reply.body;
    EXPECT_EQ(curl(client + fwd("iot-sensor.crt"), "/.well-known/est-mtls/iot/cacerts").status,
              "200");

    // Renewal with the forwarded certificate (RFC 7030 §4.2.2: same subject).
    const std::string renew = "/.well-known/est/corp/simplereenroll";
    reply = curl(client + fwd("laptop-1.crt") + csr_args("someone-else"), renew);
    EXPECT_NE(reply.status, "200") << reply.body;
    EXPECT_NE(reply.body.find("subject"), std::string::npos) << reply.body;
    reply = curl(client + fwd("laptop-1.crt") + csr_args("laptop-1"), renew);
    EXPECT_EQ(reply.status, "200") << reply.body;
    EXPECT_EQ(last_row()["action"], "est_simple_reenroll_success");
    // Revoked: refused as a TLS certificate would be.
    const std::string serial = sh("openssl x509 -in laptop-1.crt -noout -serial | cut -d= -f2");
    reply = curl(
        "-X POST -H 'Authorization: Bearer proxy-test-admin-key' "
        "-H 'Content-Type: application/json' -d '{\"reason\":\"keyCompromise\","
        "\"serials\":[\"" +
            serial.substr(0, serial.find('\n')) + "\"]}'",
        "/api/v1/est/certificates/bulk-revoke");
    ASSERT_EQ(reply.status, "200") << reply.body;
    reply = curl(client + fwd("laptop-1.crt") + csr_args("laptop-1"), renew);
    EXPECT_EQ(reply.status, "401") << reply.body;
    EXPECT_NE(reply.body.find("revoked"), std::string::npos) << reply.body;

    // A TLS client certificate and the header together: which is the client? 400.
    reply = curl(cert_args("corp-laptop") + fwd("corp-laptop.crt"),
                 "/.well-known/est-mtls/corp/cacerts");
    EXPECT_EQ(reply.status, "400") << reply.body;
    // Not one certificate: 400.
    reply = curl("-H 'X-SSL-Client-Cert: %zz' ", "/.well-known/est-mtls/corp/cacerts");
    EXPECT_EQ(reply.status, "400") << reply.body;
    EXPECT_NE(reply.body.find("X-SSL-Client-Cert"), std::string::npos) << reply.body;

    // From an untrusted peer (127.0.0.2) the header authenticates nobody,
    // on any route; the refusal is audited.
    const auto refused_before = count_rows("est_auth_failed_mtls", "corp");
    for (const std::string& path : {enroll, std::string("/.well-known/est/corp/cacerts")}) {
        const std::string body = path == enroll ? csr_args("laptop-2") : std::string();
        reply = curl("--interface 127.0.0.2 " + fwd("corp-laptop.crt") + body, path);
        EXPECT_EQ(reply.status, "401") << path << ": " << reply.body;
        EXPECT_NE(reply.body.find("not a trusted proxy"), std::string::npos) << reply.body;
    }
    // cacerts is answered before its audit row is written (queued).
    EXPECT_TRUE(
        wait_for([&] { return count_rows("est_auth_failed_mtls", "corp") == refused_before + 2; }));
    const auto rows = audit_rows();
    for (auto r = rows.end() - 2; r != rows.end(); ++r) {
        EXPECT_EQ((*r)["action"], "est_auth_failed_mtls") << *r;
        EXPECT_EQ((*r)["source_ip"], "127.0.0.2") << *r;
        EXPECT_NE(r->value("reason", "").find("X-SSL-Client-Cert"), std::string::npos) << *r;
    }
}

// A profile that requires channel binding cannot be reached through a
// TLS-terminating proxy: the boot warns, the request says why.
TEST_F(EstAuthTest, ChannelBindingProfilesAreNotServedThroughAProxy) {
    make_client_ca("wifi");
    make_client_cert("wifi", "laptop");
    auto env = base_env();
    env["CERTCTL_EST_PROFILES"] = "wifi";
    env["CERTCTL_EST_PROFILE_WIFI_MTLS_ENABLED"] = "true";
    env["CERTCTL_EST_PROFILE_WIFI_ALLOWED_AUTH_MODES"] = "mtls";
    env["CERTCTL_EST_PROFILE_WIFI_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] = p("wifi-ca.crt");
    env["CERTCTL_EST_PROFILE_WIFI_CHANNEL_BINDING_REQUIRED"] = "true";
    env["CERTCTL_TRUSTED_PROXIES"] = "127.0.0.1/32";
    const auto checked = Daemon::run_once(env, "check-config");
    EXPECT_NE(checked.output.find("CERTCTL_EST_PROFILE_WIFI_CHANNEL_BINDING_REQUIRED=true and "
                                  "CERTCTL_TRUSTED_PROXIES is set"),
              std::string::npos)
        << checked.output;
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    EXPECT_NE(daemon_.log().find("CHANNEL_BINDING_REQUIRED=true and CERTCTL_TRUSTED_PROXIES"),
              std::string::npos);

    auto reply =
        curl("-H 'X-Forwarded-For: 203.0.113.9' " +
                 forwarded_cert_header(read_file(dir_ / "laptop.crt")) + csr_args("laptop"),
             "/.well-known/est-mtls/wifi/simpleenroll");
    EXPECT_EQ(reply.status, "400") << reply.body;
    EXPECT_NE(reply.body.find("cannot cross a TLS-terminating proxy"), std::string::npos)
        << reply.body;
    EXPECT_EQ(last_row()["action"], "est_auth_failed_channel_binding");
    // cacerts needs no binding: served through the proxy.
    EXPECT_EQ(curl(forwarded_cert_header(read_file(dir_ / "laptop.crt")),
                   "/.well-known/est-mtls/wifi/cacerts")
                  .status,
              "200");
}

TEST_F(EstAuthTest, ClientCertificatesAreVerifiedAgainstTheCalledProfilesBundle) {
    make_client_ca("corp");
    make_client_ca("iot");
    make_client_cert("corp", "corp-laptop");
    make_client_cert("corp", "corp-expired", -1);
    make_client_cert("iot", "iot-sensor");
    auto env = corp_and_iot_mtls_env();
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();

    // Each profile accepts its own bundle's certificates, on every operation.
    EXPECT_EQ(curl(cert_args("iot-sensor"), "/.well-known/est-mtls/iot/cacerts").status, "200");
    EXPECT_EQ(curl(cert_args("corp-laptop") + csr_args("laptop-1"),
                   "/.well-known/est-mtls/corp/simpleenroll")
                  .status,
              "200");

    // iot's certificate on corp's URL: the TLS handshake succeeds (the
    // listener accepts any certificate), the request is refused.
    auto reply = curl(cert_args("iot-sensor"), "/.well-known/est-mtls/corp/cacerts");
    EXPECT_EQ(reply.status, "401") << reply.body;
    auto row = last_row();
    EXPECT_EQ(row["action"], "est_auth_failed_mtls");
    EXPECT_EQ(row["profile"], "corp");
    reply = curl(cert_args("iot-sensor") + csr_args("sneaky"),
                 "/.well-known/est-mtls/corp/simpleenroll");
    EXPECT_EQ(reply.status, "401");
    EXPECT_EQ(last_row()["operation_action"], "est_simple_enroll_failed");

    // Expired, and none at all.
    reply = curl(cert_args("corp-expired"), "/.well-known/est-mtls/corp/csrattrs");
    EXPECT_EQ(reply.status, "401");
    EXPECT_NE(last_row().value("reason", "").find("expired"), std::string::npos) << last_row();
    EXPECT_EQ(curl("", "/.well-known/est-mtls/corp/cacerts").status, "401");

    // An mTLS-only profile does not enroll anonymously on /est/.
    EXPECT_EQ(curl(csr_args("anon"), "/.well-known/est/corp/simpleenroll").status, "401");
    EXPECT_EQ(curl("", "/.well-known/est/corp/cacerts").status, "200");
    EXPECT_EQ(count_rows("est_auth_failed_mtls", "corp"), 5u);
    EXPECT_EQ(count_rows("est_auth_failed_mtls", "iot"), 0u);
}

TEST_F(EstAuthTest, ACaCertificateIsNoClientCertificate) {
    make_client_ca("corp");
    // CA:TRUE with clientAuth: it chains to the bundle and has the purpose.
    sh("printf 'basicConstraints=critical,CA:TRUE\\nextendedKeyUsage=clientAuth\\n' > sub-ca.ext");
    sh("openssl ecparam -name prime256v1 -genkey -noout -out sub-ca.key");
    sh("openssl req -new -key sub-ca.key -subj '/CN=sub-ca' | openssl x509 -req -CA corp-ca.crt "
       "-CAkey corp-ca.key -CAcreateserial -days 30 -extfile sub-ca.ext -out sub-ca.crt "
       "2>/dev/null");
    auto env = base_env();
    env["CERTCTL_EST_PROFILES"] = "corp";
    env["CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED"] = "true";
    env["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "mtls";
    env["CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] = p("corp-ca.crt");
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();

    const std::string why = "CA certificate (basicConstraints CA:TRUE)";
    auto reply = curl(cert_args("sub-ca"), "/.well-known/est-mtls/corp/cacerts");
    EXPECT_EQ(reply.status, "401");
    EXPECT_NE(reply.body.find(why), std::string::npos) << reply.body;
    reply =
        curl(cert_args("sub-ca") + csr_args("anything"), "/.well-known/est-mtls/corp/simpleenroll");
    EXPECT_EQ(reply.status, "401");
    EXPECT_NE(reply.body.find(why), std::string::npos) << reply.body;
    sh("openssl req -new -key sub-ca.key -subj '/CN=sub-ca' -outform DER | base64 -w0 > "
       "renew.b64");
    for (const std::string route : {"est-mtls", "est"}) {
        reply = curl(
            cert_args("sub-ca") + "-H 'Content-Type: application/pkcs10' --data-binary @renew.b64 ",
            "/.well-known/" + route + "/corp/simplereenroll");
        EXPECT_EQ(reply.status, "401") << route;
        EXPECT_NE(reply.body.find(why), std::string::npos) << route << ": " << reply.body;
    }
    EXPECT_EQ(count_rows("est_auth_failed_mtls", "corp"), 4u);
}

TEST_F(EstAuthTest, PerPrincipalLimitRefusesTheFourthEnrollmentOfOneCnFromOneAddress) {
    auto env = base_env();
    env["CERTCTL_EST_PROFILES"] = "capped";
    env["CERTCTL_EST_PROFILE_CAPPED_RATE_LIMIT_PER_PRINCIPAL_24H"] = "3";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    const std::string enroll = "/.well-known/est/capped/simpleenroll";
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(curl(csr_args("laptop-001"), enroll).status, "200") << i;
    }
    auto reply = curl(csr_args("laptop-001"), enroll);
    EXPECT_EQ(reply.status, "429") << reply.body;
    EXPECT_TRUE(has_header(reply, "Retry-After: ")) << reply.headers;
    EXPECT_EQ(last_row()["action"], "est_rate_limited");
    EXPECT_EQ(last_row()["operation_action"], "est_simple_enroll_failed");
    // Another CN from the same address, the same CN from another address.
    EXPECT_EQ(curl(csr_args("laptop-002"), enroll).status, "200");
    EXPECT_EQ(curl("--interface 127.0.0.2 " + csr_args("laptop-001"), enroll).status, "200");
}

// Channel binding needs a client that builds the CSR on the connection it
// then sends it on: the project's client library (src/client).
class EstChannelBindingTest : public EstAuthTest {
  protected:
    void start(bool allow_tls12) {
        make_client_ca("wifi");
        make_client_cert("wifi", "laptop");
        auto env = base_env();
        env["CERTCTL_EST_PROFILES"] = "wifi";
        env["CERTCTL_EST_PROFILE_WIFI_MTLS_ENABLED"] = "true";
        env["CERTCTL_EST_PROFILE_WIFI_ALLOWED_AUTH_MODES"] = "mtls";
        env["CERTCTL_EST_PROFILE_WIFI_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] = p("wifi-ca.crt");
        env["CERTCTL_EST_PROFILE_WIFI_CHANNEL_BINDING_REQUIRED"] = "true";
        if (allow_tls12) {
            env["CERTCTL_SERVER_TLS_MIN_VERSION"] = "1.2";
        }
        ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
        auto identity = https::load_client_identity(p("laptop.crt"), p("laptop.key"));
        ASSERT_TRUE(identity) << identity.error().message;
        identity_ = std::make_shared<const https::ClientIdentity>(std::move(*identity));
    }

    std::unique_ptr<https::Connection> connect(bool tls12) {
        auto url = client::parse_server_url("https://127.0.0.1:" + std::to_string(daemon_.port()));
        EXPECT_TRUE(url);
        auto tls = client::connection_options();
        tls.ca_file = p("pki/root-ca.crt");
        tls.identity = identity_;
        tls.max_version = tls12 ? https::TlsVersion::tls1_2 : https::TlsVersion::tls1_3;
        tls.timeout = std::chrono::seconds(10);
        auto conn = https::Connection::open(*url, tls);
        EXPECT_TRUE(conn) << conn.error().message;
        return conn ? std::move(*conn) : nullptr;
    }

    unsigned send_csr(https::Connection& conn, const client::CsrRequest& request) {
        auto key = test::make_ec_key();
        auto csr = client::build_csr(key.get(), request);
        EXPECT_TRUE(csr) << csr.error().message;
        auto response = conn.send(https::Method::post, "/.well-known/est-mtls/wifi/simpleenroll",
                                  "application/pkcs10", client::base64_one_line(*csr));
        EXPECT_TRUE(response) << response.error().message;
        return response ? response->status : 0;
    }

    static client::CsrRequest request(std::optional<std::string> password,
                                      std::optional<pki::Bytes> attribute = std::nullopt) {
        client::CsrRequest r;
        r.common_name = "wifi-laptop";
        r.challenge_password = std::move(password);
        r.channel_binding_attribute = std::move(attribute);
        return r;
    }

    std::shared_ptr<const https::ClientIdentity> identity_;
};

TEST_F(EstChannelBindingTest, Tls13ExporterBindsTheCsrToItsConnection) {
    start(false);
    auto conn = connect(false);
    ASSERT_TRUE(conn);
    ASSERT_EQ(conn->version(), https::TlsVersion::tls1_3);
    const auto exporter = conn->tls_exporter();
    ASSERT_TRUE(exporter);
    // Base64 in challengePassword, and the guide's attribute.
    EXPECT_EQ(send_csr(*conn, request(client::base64_one_line(*exporter))), 200u);
    auto second = connect(false);
    const auto second_exporter = second->tls_exporter();
    EXPECT_EQ(send_csr(*second, request(std::nullopt, *second_exporter)), 200u);

    // The exporter of another connection: 409, a relay signal.
    auto third = connect(false);
    EXPECT_EQ(send_csr(*third, request(client::base64_one_line(*exporter))), 409u);
    EXPECT_EQ(last_row()["action"], "est_auth_failed_channel_binding");
    EXPECT_NE(last_row().value("reason", "").find("mismatch"), std::string::npos);
    // None: 400.
    auto fourth = connect(false);
    EXPECT_EQ(send_csr(*fourth, request(std::nullopt)), 400u);
    EXPECT_EQ(last_row()["action"], "est_auth_failed_channel_binding");
    EXPECT_NE(last_row().value("reason", "").find("missing"), std::string::npos);
    EXPECT_EQ(count_rows("est_simple_enroll_success", "wifi"), 2u);

    // csrattrs tells clients to put the binding in challengePassword.
    auto fifth = connect(false);
    auto attrs = fifth->send(https::Method::get, "/.well-known/est-mtls/wifi/csrattrs");
    ASSERT_TRUE(attrs);
    ASSERT_EQ(attrs->status, 200u) << attrs->body;
    auto der = client::decode_payload(attrs->body, "csrattrs");
    ASSERT_TRUE(der);
    auto items = client::parse_csr_attrs(*der);
    ASSERT_TRUE(items) << items.error().message;
    bool lists_challenge_password = false;
    for (const auto& item : *items) {
        lists_challenge_password |= item.oid == "1.2.840.113549.1.9.7";
    }
    EXPECT_TRUE(lists_challenge_password);
}

TEST_F(EstChannelBindingTest, Tls12UniqueInChallengePassword) {
    start(true);
    auto conn = connect(true);
    ASSERT_TRUE(conn);
    ASSERT_EQ(conn->version(), https::TlsVersion::tls1_2);
    ASSERT_TRUE(conn->extended_master_secret());
    const auto unique = conn->tls_unique();
    ASSERT_TRUE(unique) << unique.error().message;
    EXPECT_EQ(send_csr(*conn, request(client::base64_one_line(*unique))), 200u);

    auto other = connect(true);
    EXPECT_EQ(send_csr(*other, request(client::base64_one_line(*unique))), 409u);
    EXPECT_NE(last_row().value("reason", "").find("tls-unique"), std::string::npos) << last_row();
    // The TLS 1.3 exporter attribute cannot be carried by a TLS 1.2 connection.
    auto third = connect(true);
    EXPECT_EQ(send_csr(*third, request(std::nullopt, pki::Bytes(32, 0x42))), 426u);
    // And TLS 1.3 still works on the same listener.
    auto modern = connect(false);
    EXPECT_EQ(send_csr(*modern, request(client::base64_one_line(*modern->tls_exporter()))), 200u);
}

TEST_F(EstAuthTest, SighupReloadsTrustBundlesAndKeepsTheOldOnesWhenTheNewIsBad) {
    make_client_ca("old");
    make_client_ca("new");
    make_client_cert("old", "old-device");
    make_client_cert("new", "new-device");
    sh("cp old-ca.crt bundle.pem");
    auto env = base_env();
    env["CERTCTL_EST_PROFILES"] = "corp";
    env["CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED"] = "true";
    env["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "mtls";
    env["CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] = p("bundle.pem");
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    const std::string path = "/.well-known/est-mtls/corp/cacerts";
    EXPECT_EQ(curl(cert_args("old-device"), path).status, "200");
    EXPECT_EQ(curl(cert_args("new-device"), path).status, "401");

    // A corrupted bundle: the reload fails, the old anchors keep serving.
    sh("head -c 200 new-ca.crt > bundle.pem");
    daemon_.send_signal(SIGHUP);
    ASSERT_TRUE(wait_for([&] { return daemon_.log().find("reload failed") != std::string::npos; }))
        << daemon_.log();
    EXPECT_EQ(curl(cert_args("old-device"), path).status, "200");
    EXPECT_EQ(curl(cert_args("new-device"), path).status, "401");
    EXPECT_EQ(count_rows("est_trust_anchor_reloaded", "corp"), 0u);

    // A valid new bundle: the new CA's certificates pass, the old CA's not.
    sh("cp new-ca.crt bundle.pem");
    daemon_.send_signal(SIGHUP);
    ASSERT_TRUE(wait_for([&] { return count_rows("est_trust_anchor_reloaded", "corp") == 1; }))
        << daemon_.log();
    EXPECT_EQ(last_row()["actor"], "SIGHUP");
    EXPECT_EQ(curl(cert_args("new-device"), path).status, "200");
    EXPECT_EQ(curl(cert_args("old-device"), path).status, "401");

    // The SIGHUP of a log rotation, the bundle unchanged: logged, no row.
    daemon_.send_signal(SIGHUP);
    ASSERT_TRUE(wait_for([&] {
        return daemon_.log().find("trust bundle unchanged") != std::string::npos;
    })) << daemon_.log();
    EXPECT_EQ(count_rows("est_trust_anchor_reloaded", "corp"), 1u);
    EXPECT_EQ(curl(cert_args("new-device"), path).status, "200");
    EXPECT_TRUE(daemon_.running());
}

TEST_F(EstAuthTest, AnUnusableTrustBundleRefusesTheBootNamingTheFile) {
    sh("printf '' > empty.pem");
    auto env = base_env();
    env["CERTCTL_EST_PROFILES"] = "corp";
    env["CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED"] = "true";
    env["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "mtls";
    env["CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] = p("empty.pem");
    const auto result = Daemon::run_once(env, "check-config");
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.output.find("empty.pem"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"), std::string::npos);
}

}  // namespace
}  // namespace estd::testing
