// What every answer looks like on the wire, whatever the client: base64 line
// layout per client, label-less routes of a default profile, WWW-Authenticate
// on every 401, Date on every answer. Real estd, real curl and openssl.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

// curl without a User-Agent header, as strongSwan's pki sends its requests.
constexpr const char* kNoUserAgent = " -H 'User-Agent:' ";
constexpr const char* kLibestUserAgent = " -A 'libest 3.2.0' ";

class WireFormatTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-wire");
        make_dev_pki(dir_ / "pki", "corp");
    }

    std::string curl() const { return "curl -sS --cacert " + (dir_ / "pki/root-ca.crt").string(); }

    // A fresh EC key and a DER CSR for `cn` in the test directory.
    void make_csr(const std::string& name, const std::string& cn) {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name +
           ".key && openssl req -new -key " + name + ".key -subj '/CN=" + cn +
           "' -outform DER -out " + name + ".der");
    }

    struct Reply {
        std::string status;
        std::string headers;
        std::string body;
    };
    // One curl request; `args` may add -u, --cert/--key, -H, -X.
    Reply request(const std::string& args, const std::string& path) {
        const std::string n = std::to_string(++calls_);
        Reply reply;
        reply.status = sh(curl() + " -D h" + n + ".txt -o b" + n + ".txt -w '%{http_code}' " +
                          args + " " + daemon_.url(path));
        reply.headers = read_file(dir_ / ("h" + n + ".txt"));
        reply.body = read_file(dir_ / ("b" + n + ".txt"));
        return reply;
    }
    // A CSR for `cn` as the body of a POST.
    std::string csr_args(const std::string& cn) {
        make_csr(cn, cn);
        return "-H 'Content-Type: application/pkcs10' --data-binary @<(base64 -w 64 " + cn +
               ".der) ";
    }
    // A client CA `name`-ca.crt and a clientAuth certificate `name`.crt from it.
    void make_client_cert(const std::string& name) {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name + "-ca.key");
        sh("openssl req -x509 -new -key " + name + "-ca.key -subj '/CN=" + name +
           " bootstrap CA' -days 30 -addext basicConstraints=critical,CA:true -addext "
           "keyUsage=critical,keyCertSign -out " +
           name + "-ca.crt");
        sh("printf 'extendedKeyUsage=clientAuth\\n' > client.ext");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
        sh("openssl req -new -key " + name + ".key -subj '/CN=" + name +
           "' | openssl x509 -req -CA " + name + "-ca.crt -CAkey " + name +
           "-ca.key -CAcreateserial -days 30 -extfile client.ext -out " + name +
           ".crt 2>/dev/null");
    }
    static std::string cert_args(const std::string& name) {
        return "--cert " + name + ".crt --key " + name + ".key ";
    }

    // corp: Basic only; iot: Basic and mTLS (bootstrap.crt), the default
    // when `default_profile` is set.
    Daemon::Environment two_profile_env(const std::string& default_profile) {
        make_client_cert("bootstrap");
        auto env = dev_pki_environment(dir_);
        env["CERTCTL_EST_PROFILES"] = "corp,iot";
        env["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "basic";
        env["CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD"] = "corp-pass";
        env["CERTCTL_EST_PROFILE_IOT_ALLOWED_AUTH_MODES"] = "basic,mtls";
        env["CERTCTL_EST_PROFILE_IOT_ENROLLMENT_PASSWORD"] = "iot-pass";
        env["CERTCTL_EST_PROFILE_IOT_MTLS_ENABLED"] = "true";
        env["CERTCTL_EST_PROFILE_IOT_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] =
            (dir_ / "bootstrap-ca.crt").string();
        if (!default_profile.empty()) {
            env["CERTCTL_EST_DEFAULT_PROFILE"] = default_profile;
        }
        return env;
    }

    int calls_ = 0;
};

// Lines of `body` (the last one may lack its LF).
std::vector<std::string> lines_of(const std::string& body) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < body.size()) {
        const auto end = body.find('\n', start);
        lines.push_back(body.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return lines;
}

void expect_wrapped(const std::string& body, const std::string& what) {
    const auto lines = lines_of(body);
    EXPECT_GT(lines.size(), 1U) << what << ": " << body;
    for (const auto& line : lines) {
        EXPECT_LE(line.size(), 76U) << what;
        EXPECT_EQ(line.find('\r'), std::string::npos) << what;
    }
}

void expect_single_line(const std::string& body, const std::string& what) {
    EXPECT_GT(body.size(), 1024U) << what;
    EXPECT_EQ(body.find_first_of("\r\n"), std::string::npos) << what << ": " << body;
}

TEST_F(WireFormatTest, Base64AnswersAreOneLineToStrongSwanAndWrappedToLibest) {
    auto env = dev_pki_environment(dir_);
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    const std::string cacerts = host() + "/.well-known/est/cacerts";

    // No User-Agent (strongSwan pki): one line, which still decodes.
    const std::string one_line = sh(curl() + kNoUserAgent + cacerts);
    expect_single_line(one_line, "cacerts without User-Agent");
    EXPECT_NE(sh(curl() + kNoUserAgent + cacerts +
                 " | base64 -d | openssl pkcs7 -inform DER -print_certs -noout")
                  .find("Issuing CA"),
              std::string::npos);
    // libest, and curl piped into openssl base64 -d: 76-column lines.
    expect_wrapped(sh(curl() + kLibestUserAgent + cacerts), "cacerts to libest");
    expect_wrapped(sh(curl() + " " + cacerts), "cacerts to curl");
    EXPECT_NE(sh(curl() + " " + cacerts +
                 " | openssl base64 -d | openssl pkcs7 -inform DER -print_certs -noout")
                  .find("Issuing CA"),
              std::string::npos);
    // The transfer encoding is still announced.
    EXPECT_NE(sh(curl() + kNoUserAgent + "-D - -o /dev/null " + cacerts)
                  .find("Content-Transfer-Encoding: base64"),
              std::string::npos);

    // An issued certificate the same way (a CSR sent as wrapped lines).
    make_csr("device", "device-001.example.com");
    const std::string enroll =
        " -H 'Content-Type: application/pkcs10' --data-binary "
        "@<(base64 -w 64 device.der) " +
        host() + "/.well-known/est/simpleenroll";
    const std::string issued = sh(curl() + kNoUserAgent + enroll);
    EXPECT_EQ(issued.find_first_of("\r\n"), std::string::npos) << issued;
    EXPECT_NE(sh("printf %s " + shell_quote(issued) +
                 " | base64 -d | openssl pkcs7 -inform DER -print_certs -noout")
                  .find("device-001.example.com"),
              std::string::npos);
    expect_wrapped(sh(curl() + kLibestUserAgent + enroll), "simpleenroll to libest");
}

TEST_F(WireFormatTest, AProfileCanForceABase64Layout) {
    auto env = dev_pki_environment(dir_);
    env["CERTCTL_EST_PROFILES"] = "flat,lines";
    env["CERTCTL_EST_PROFILE_FLAT_BASE64_LAYOUT"] = "single-line";
    env["CERTCTL_EST_PROFILE_LINES_BASE64_LAYOUT"] = "wrapped";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    expect_single_line(sh(curl() + kLibestUserAgent + host() + "/.well-known/est/flat/cacerts"),
                       "forced single-line to libest");
    expect_wrapped(sh(curl() + kNoUserAgent + host() + "/.well-known/est/lines/cacerts"),
                   "forced wrapped without User-Agent");
}

TEST_F(WireFormatTest, TheDefaultProfileIsServedWithoutALabelWithItsOwnAuthentication) {
    ASSERT_TRUE(daemon_.start(two_profile_env("iot"))) << daemon_.log();
    EXPECT_EQ(request("", "/.well-known/est/cacerts").status, "200");
    const auto label_less_attrs = request("", "/.well-known/est/csrattrs");
    EXPECT_EQ(label_less_attrs.status, "200");
    EXPECT_EQ(label_less_attrs.body, request("", "/.well-known/est/iot/csrattrs").body);
    // Basic, with iot's password and not corp's.
    EXPECT_EQ(request(csr_args("anon"), "/.well-known/est/simpleenroll").status, "401");
    EXPECT_EQ(
        request("-u x:corp-pass " + csr_args("corp-pass"), "/.well-known/est/simpleenroll").status,
        "401");
    EXPECT_EQ(
        request("-u x:iot-pass " + csr_args("iot-pass"), "/.well-known/est/simpleenroll").status,
        "200");
    // mTLS with iot's trust bundle.
    EXPECT_EQ(request(csr_args("no-cert"), "/.well-known/est-mtls/simpleenroll").status, "401");
    EXPECT_EQ(request(cert_args("bootstrap") + csr_args("with-cert"),
                      "/.well-known/est-mtls/simpleenroll")
                  .status,
              "200");
    // The labelled routes stay as they were.
    EXPECT_EQ(
        request("-u x:corp-pass " + csr_args("corp"), "/.well-known/est/corp/simpleenroll").status,
        "200");
    EXPECT_EQ(
        request(cert_args("bootstrap") + csr_args("iot"), "/.well-known/est-mtls/iot/simpleenroll")
            .status,
        "200");
    const std::string audit = read_file(dir_ / "data/audit.log");
    EXPECT_NE(audit.find("\"profile\":\"iot\""), std::string::npos) << audit;
}

TEST_F(WireFormatTest, WithoutADefaultProfileTheLabelLessRoutesAre404) {
    ASSERT_TRUE(daemon_.start(two_profile_env("corp"))) << daemon_.log();
    // corp allows no mTLS: no label-less est-mtls route either.
    EXPECT_EQ(request(csr_args("x"), "/.well-known/est-mtls/simpleenroll").status, "404");
    EXPECT_EQ(request("-u x:corp-pass " + csr_args("corp"), "/.well-known/est/simpleenroll").status,
              "200");
    daemon_.stop();

    ASSERT_TRUE(daemon_.start(two_profile_env(""))) << daemon_.log();
    EXPECT_EQ(request("", "/.well-known/est/cacerts").status, "404");
    EXPECT_EQ(request("", "/.well-known/est-mtls/cacerts").status, "404");
}

TEST_F(WireFormatTest, ADefaultProfileThatIsNotConfiguredRefusesTheBoot) {
    auto env = two_profile_env("wifi");
    const auto checked = Daemon::run_once(env, "check-config");
    EXPECT_NE(checked.exit_code, 0);
    EXPECT_NE(checked.output.find("CERTCTL_EST_DEFAULT_PROFILE"), std::string::npos)
        << checked.output;
    EXPECT_NE(checked.output.find("wifi"), std::string::npos) << checked.output;
    EXPECT_FALSE(daemon_.start(env, std::chrono::seconds(5)));

    const auto good = Daemon::run_once(two_profile_env("iot"), "check-config");
    EXPECT_EQ(good.exit_code, 0) << good.output;
    EXPECT_NE(good.output.find("default profile"), std::string::npos) << good.output;
}

// The value of `name` in a curl -D header dump, or "" (names case-insensitive).
std::string header_value(const std::string& headers, const std::string& name) {
    std::size_t start = 0;
    while (start < headers.size()) {
        auto end = headers.find('\n', start);
        if (end == std::string::npos) {
            end = headers.size();
        }
        std::string line = headers.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        const auto colon = line.find(':');
        if (colon == name.size() &&
            std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            const auto value = line.find_first_not_of(' ', colon + 1);
            return value == std::string::npos ? std::string() : line.substr(value);
        }
        start = end + 1;
    }
    return {};
}

TEST_F(WireFormatTest, Every401SaysHowToAuthenticate) {
    auto env = two_profile_env("");
    env["CERTCTL_EST_PROFILES"] = "corp,iot,fleet";
    env["CERTCTL_EST_PROFILE_FLEET_ALLOWED_AUTH_MODES"] = "mtls";
    env["CERTCTL_EST_PROFILE_FLEET_MTLS_ENABLED"] = "true";
    env["CERTCTL_EST_PROFILE_FLEET_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] =
        (dir_ / "bootstrap-ca.crt").string();
    env["CERTCTL_API_KEYS_NAMED"] = "ops:ops-key-0123456789abcdef:admin";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();

    const auto expect_challenge = [&](const Reply& reply, const std::string& challenge,
                                      const std::string& what) {
        EXPECT_EQ(reply.status, "401") << what << "\n" << reply.body;
        EXPECT_EQ(header_value(reply.headers, "WWW-Authenticate"), challenge) << what << "\n"
                                                                              << reply.headers;
    };
    const std::string basic = "Basic realm=\"estd\"";
    const std::string mutual = "Mutual realm=\"estd\"";
    // Where Basic is allowed: Basic.
    expect_challenge(request(csr_args("a"), "/.well-known/est/corp/simpleenroll"), basic,
                     "Basic profile without credentials");
    expect_challenge(request("-u x:wrong " + csr_args("b"), "/.well-known/est/iot/simpleenroll"),
                     basic, "wrong password");
    // Where only a client certificate is: Mutual.
    expect_challenge(request(csr_args("c"), "/.well-known/est-mtls/iot/simpleenroll"), mutual,
                     "est-mtls without a certificate");
    expect_challenge(request("", "/.well-known/est-mtls/fleet/cacerts"), mutual,
                     "est-mtls cacerts without a certificate");
    expect_challenge(request(csr_args("d"), "/.well-known/est/fleet/simpleenroll"), mutual,
                     "mTLS-only profile on /est/");
    expect_challenge(
        request("-u x:corp-pass " + csr_args("e"), "/.well-known/est/corp/simplereenroll"), mutual,
        "simplereenroll without a certificate");
    make_client_cert("stranger");
    expect_challenge(
        request(cert_args("stranger") + csr_args("f"), "/.well-known/est-mtls/fleet/simpleenroll"),
        mutual, "a certificate from another CA");
    // The operator API: Bearer.
    expect_challenge(request("", "/api/v1/admin/est/profiles"), "Bearer realm=\"estd\"",
                     "operator API without a key");
}

TEST_F(WireFormatTest, EveryAnswerCarriesADate) {
    auto env = dev_pki_environment(dir_);
    env["CERTCTL_API_KEYS_NAMED"] = "ops:ops-key-0123456789abcdef:admin";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    const auto expect_date = [&](const Reply& reply, const std::string& what) {
        const auto date = header_value(reply.headers, "Date");
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
        EXPECT_EQ(date.size(), 29U) << what << "\n" << reply.headers;
        EXPECT_TRUE(date.ends_with(" GMT")) << what << "\n" << reply.headers;
        EXPECT_EQ(date.find(", "), 3U) << what << "\n" << reply.headers;
    };
    expect_date(request("", "/.well-known/est/cacerts"), "cacerts");
    expect_date(request(csr_args("dated"), "/.well-known/est/simpleenroll"), "simpleenroll");
    expect_date(request("", "/.well-known/est/nosuch"), "an EST 404");
    expect_date(request("-X POST", "/.well-known/est/cacerts"), "a 405");
    expect_date(request("", "/healthz"), "healthz");
    expect_date(request("", "/readyz"), "readyz");
    expect_date(request("-H 'Authorization: Bearer ops-key-0123456789abcdef'", "/api/v1/metrics"),
                "metrics");
    expect_date(request("", "/api/v1/admin/est/profiles"), "an operator API 401");
    expect_date(request("-H 'Authorization: Bearer ops-key-0123456789abcdef'",
                        "/api/v1/admin/est/profiles"),
                "the operator API");
    expect_date(request("", "/nothing-here"), "a 404");
    // An answer from the HTTP layer itself: a request it cannot frame.
    const auto refused =
        request("-H 'Content-Length: 5' -H 'Transfer-Encoding: chunked' -X POST -d ''", "/healthz");
    EXPECT_EQ(refused.status, "400") << refused.body;
    expect_date(refused, "a refused request");
}

}  // namespace
}  // namespace estd::testing
