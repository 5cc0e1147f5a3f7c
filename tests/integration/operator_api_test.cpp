// Issue 5 end to end: the operator API's bulk revoke as the guide writes it,
// CRL and OCSP right after it, a revoked certificate refused at renewal,
// kill -9 during enrollments, and the expiry webhook; two estd sharing one
// PostgreSQL database.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "estd/notify/webhook_client.hpp"
#include "support/daemon_test.hpp"
#include "support/postgres.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kAdminKey = "adm-0123456789abcdef0123";
constexpr const char* kViewerKey = "vwr-fedcba9876543210fedc";
constexpr const char* kWebhookSecret = "whsec-test-secret-0001";
constexpr const char* kCorpPassword = "corp-enrollment-password-0001";

std::string lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

// A plain-HTTP receiver on loopback that records every POST. It answers 503
// to the first `fail_first` requests (to exercise retries), 200 after.
class WebhookReceiver {
  public:
    struct Delivery {
        std::string body;
        std::string signature;
        std::string event;
    };

    explicit WebhookReceiver(int fail_first)
        : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}), fail_first_(fail_first) {
        thread_ = std::thread([this] { serve(); });
    }
    ~WebhookReceiver() {
        stopping_ = true;
        boost::system::error_code ec;
        asio::ip::tcp::socket poke(ioc_);
        poke.connect(acceptor_.local_endpoint(), ec);
        thread_.join();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    std::vector<Delivery> accepted() const {
        std::lock_guard lock(mutex_);
        return accepted_;
    }
    int requests() const { return requests_.load(); }

  private:
    void serve() {
        while (!stopping_) {
            asio::ip::tcp::socket socket(ioc_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (stopping_ || ec) {
                continue;
            }
            beast::flat_buffer buffer;
            http::request<http::string_body> req;
            http::read(socket, buffer, req, ec);
            if (ec) {
                continue;
            }
            const bool fail = requests_++ < fail_first_;
            if (!fail) {
                std::lock_guard lock(mutex_);
                accepted_.push_back({req.body(), std::string(req["X-Estd-Signature"]),
                                     std::string(req["X-Estd-Event"])});
            }
            http::response<http::string_body> res{
                fail ? http::status::service_unavailable : http::status::ok, 11};
            res.body() = fail ? "busy" : "ok";
            res.prepare_payload();
            http::write(socket, res, ec);
        }
    }

    asio::io_context ioc_;
    asio::ip::tcp::acceptor acceptor_;
    int fail_first_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> requests_{0};
    mutable std::mutex mutex_;
    std::vector<Delivery> accepted_;
    std::thread thread_;
};

std::string hmac_hex(const std::string& key, const std::string& body) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
    std::ostringstream out;
    for (unsigned int i = 0; i < length; ++i) {
        out << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(mac[i]);
    }
    return out.str();
}

class OperatorApiTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-operator");
        make_dev_pki(dir_ / "pki", "iot");
        sh("cat pki/root-ca.crt pki/ca.crt > chain.pem && mkdir -p out");
    }

    Daemon::Environment env() const {
        auto env = dev_pki_environment(dir_);
        env.insert({
            {"CERTCTL_EST_PROFILES", "iot,corp"},
            {"CERTCTL_CERT_PROFILES", "cp-iot-sensors,cp-corp-laptops"},
            {"CERTCTL_EST_PROFILE_IOT_PROFILE_ID", "cp-iot-sensors"},
            {"CERTCTL_EST_PROFILE_CORP_PROFILE_ID", "cp-corp-laptops"},
            {"CERTCTL_API_KEYS_NAMED",
             std::string("ops:") + kAdminKey + ":admin,viewer:" + kViewerKey},
        });
        return env;
    }

    CommandResult sh_result(const std::string& command) {
        return run_command("cd '" + dir_.string() + "' && " + command + " 2>&1");
    }
    std::string host() const { return host_of(daemon_); }
    static std::string host_of(const Daemon& daemon) {
        return "127.0.0.1:" + std::to_string(daemon.port());
    }

    // Enrolls `name` on `profile` with a fresh key; returns its serial
    // (lower-case hex) and leaves name.key / name.crt.
    std::string enroll(const std::string& profile, const std::string& name) {
        return enroll_at(daemon_, profile, name);
    }
    std::string enroll_at(const Daemon& daemon, const std::string& profile,
                          const std::string& name) {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
        sh("openssl req -new -key " + name + ".key -subj '/CN=" + name + "' -outform DER | " +
           "base64 -w0 > " + name + ".b64");
        sh("curl -sSf --cacert pki/root-ca.crt -H 'Content-Type: application/pkcs10' "
           "--data-binary @" +
           name + ".b64 https://" + host_of(daemon) + "/.well-known/est/" + profile +
           "/simpleenroll | base64 -d | openssl pkcs7 -inform DER -print_certs > " + name + ".crt");
        auto serial = sh("openssl x509 -in " + name + ".crt -noout -serial");
        return lower(
            serial.substr(serial.find('=') + 1, serial.find_last_not_of("\n") - serial.find('=')));
    }
    json api_get(const std::string& path, const std::string& key = kAdminKey) {
        return api_get_at(daemon_, path, key);
    }
    json api_get_at(const Daemon& daemon, const std::string& path,
                    const std::string& key = kAdminKey) {
        auto text = sh("curl -sS --cacert pki/root-ca.crt -H 'Authorization: Bearer " + key +
                       "' 'https://" + host_of(daemon) + path + "'");
        return json::parse(text, nullptr, false);
    }
    std::set<std::string> listed_serials() {
        std::set<std::string> serials;
        std::string cursor;
        for (int page = 0; page < 100; ++page) {
            auto answer = api_get("/api/v1/est/certificates?limit=500" +
                                  (cursor.empty() ? "" : "&cursor=" + cursor));
            EXPECT_TRUE(answer.is_object()) << answer;
            for (const auto& cert : answer["certificates"]) {
                serials.insert(cert["serial"].get<std::string>());
            }
            if (answer["next_cursor"].is_null()) {
                break;
            }
            cursor = answer["next_cursor"].get<std::string>();
        }
        return serials;
    }
};

TEST_F(OperatorApiTest, GuideBulkRevokeTakesEffectInCrlOcspAndRenewalAtOnce) {
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    const auto iot1 = enroll("iot", "iot1");
    const auto iot2 = enroll("iot", "iot2");
    const auto laptop = enroll("corp", "laptop");
    const std::string body = R"('{"reason":"keyCompromise","profile_id":"cp-iot-sensors"}')";
    const std::string url = "https://" + host() + "/api/v1/est/certificates/bulk-revoke";

    // No key: 401; a non-admin key: 403; nothing revoked by either.
    EXPECT_EQ(sh("curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: "
                 "application/json' --cacert pki/root-ca.crt " +
                 url + " -d " + body),
              "401");
    EXPECT_EQ(sh("curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: "
                 "application/json' -H 'Authorization: Bearer " +
                 std::string(kViewerKey) + "' --cacert pki/root-ca.crt " + url + " -d " + body),
              "403");

    // The guide's command, verbatim but for host, port and CA path.
    const auto answer =
        json::parse(sh("export CERTCTL_API_KEY=" + std::string(kAdminKey) +
                       "\n"
                       "curl -sS -X POST \\\n"
                       "  -H \"Content-Type: application/json\" \\\n"
                       "  -H \"Authorization: Bearer $CERTCTL_API_KEY\" \\\n"
                       "  --cacert pki/root-ca.crt \\\n"
                       "  https://" +
                       host() +
                       "/api/v1/est/certificates/bulk-revoke \\\n"
                       "  -d '{\"reason\":\"keyCompromise\",\"profile_id\":\"cp-iot-sensors\"}'"),
                    nullptr, false);
    ASSERT_TRUE(answer.is_object());
    EXPECT_EQ(answer["revoked_count"], 2) << answer;
    EXPECT_EQ(answer["serials"].get<std::set<std::string>>(), (std::set<std::string>{iot1, iot2}));

    // CRL at once, with the reason.
    sh("curl -sSf --cacert pki/root-ca.crt -o crl.der https://" + host() +
       "/.well-known/pki/crls/iss-local.crl");
    const auto crl_text = lower(sh("openssl crl -inform DER -in crl.der -noout -text"));
    EXPECT_NE(crl_text.find(iot1), std::string::npos) << crl_text;
    EXPECT_NE(crl_text.find(iot2), std::string::npos) << crl_text;
    EXPECT_EQ(crl_text.find(laptop), std::string::npos) << crl_text;
    EXPECT_NE(crl_text.find("key compromise"), std::string::npos) << crl_text;
    sh("openssl crl -inform DER -in crl.der -out crl.pem");
    const auto refused = sh_result(
        "openssl verify -crl_check -CAfile chain.pem -CRLfile crl.pem "
        "iot1.crt");
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_NE(refused.output.find("revoked"), std::string::npos) << refused.output;
    EXPECT_EQ(sh_result("openssl verify -crl_check -CAfile chain.pem -CRLfile crl.pem laptop.crt")
                  .exit_code,
              0);

    // OCSP from the same store.
    const std::string ocsp_url = "https://" + host() + "/.well-known/pki/ocsp";
    const auto revoked =
        sh("openssl ocsp -issuer pki/ca.crt -cert iot1.crt -CAfile chain.pem "
           "-url " +
           ocsp_url + " 2>&1");
    EXPECT_NE(revoked.find("iot1.crt: revoked"), std::string::npos) << revoked;
    EXPECT_NE(revoked.find("Reason: keyCompromise"), std::string::npos) << revoked;
    EXPECT_NE(revoked.find("Response verify OK"), std::string::npos) << revoked;
    const auto good =
        sh("openssl ocsp -issuer pki/ca.crt -cert laptop.crt -CAfile chain.pem "
           "-url " +
           ocsp_url + " 2>&1");
    EXPECT_NE(good.find("laptop.crt: good"), std::string::npos) << good;

    // The AIA caIssuers target serves the issuing CA certificate as DER.
    sh("curl -sSf --cacert pki/root-ca.crt -D ca.headers -o ca.der https://" + host() +
       "/.well-known/pki/certs/iss-local.crt");
    EXPECT_NE(lower(sh("cat ca.headers")).find("content-type: application/pkix-cert"),
              std::string::npos);
    EXPECT_EQ(sh("openssl x509 -inform DER -in ca.der -outform DER | sha256sum"),
              sh("openssl x509 -in pki/ca.crt -outform DER | sha256sum"));
    EXPECT_EQ(sh("curl -sS -o /dev/null -w '%{http_code}' --cacert pki/root-ca.crt https://" +
                 host() + "/.well-known/pki/certs/iss-nosuch.crt"),
              "404");

    // The revoked certificate cannot renew itself; the good one can.
    sh("openssl req -new -key iot1.key -subj '/CN=iot1' -outform DER | base64 -w0 > renew.b64");
    const auto renew =
        sh("curl -sS --cacert pki/root-ca.crt --cert iot1.crt --key iot1.key "
           "-H 'Content-Type: application/pkcs10' --data-binary @renew.b64 "
           "-w '\\n%{http_code}' https://" +
           host() + "/.well-known/est/iot/simplereenroll");
    EXPECT_NE(renew.find("revoked"), std::string::npos) << renew;
    EXPECT_EQ(renew.substr(renew.size() - 3), "401") << renew;
    sh("openssl req -new -key laptop.key -subj '/CN=laptop' -outform DER | base64 -w0 > ok.b64");
    EXPECT_EQ(sh("curl -sS -o /dev/null -w '%{http_code}' --cacert pki/root-ca.crt --cert "
                 "laptop.crt --key laptop.key -H 'Content-Type: application/pkcs10' "
                 "--data-binary @ok.b64 https://" +
                 host() + "/.well-known/est/corp/simplereenroll"),
              "200");

    // The operator views: the actor of the bulk revoke, the refusal's reason.
    const auto bulk = api_get("/api/v1/audit?action_prefix=est_bulk_revoke");
    ASSERT_EQ(bulk["events"].size(), 1U) << bulk;
    EXPECT_EQ(bulk["events"][0]["actor"], "ops");
    const auto refusals = api_get("/api/v1/audit?action_prefix=est_auth_failed_mtls");
    ASSERT_EQ(refusals["events"].size(), 1U) << refusals;
    EXPECT_NE(refusals["events"][0]["reason"].get<std::string>().find("keyCompromise"),
              std::string::npos);
    const auto revoked_list = api_get("/api/v1/est/certificates?status=revoked", kViewerKey);
    EXPECT_EQ(revoked_list["certificates"].size(), 2U) << revoked_list;
    EXPECT_EQ(api_get("/api/v1/audit", kViewerKey)["status"], 403);

    // The other admin endpoints answer admins only.
    const auto profiles = api_get("/api/v1/admin/est/profiles");
    ASSERT_EQ(profiles["profiles"].size(), 2U) << profiles;
    EXPECT_EQ(profiles["profiles"][0]["path_id"], "iot");
    EXPECT_EQ(profiles["profiles"][0]["counters"]["est_simple_enroll_success"], 2);
    EXPECT_EQ(api_get("/api/v1/admin/est/profiles", kViewerKey)["status"], 403);
    const std::string reload =
        "curl -sS -o /dev/null -w '%{http_code}' -X POST --cacert "
        "pki/root-ca.crt https://" +
        host() + "/api/v1/admin/est/reload-trust -H 'Authorization: Bearer ";
    EXPECT_EQ(sh(reload + kViewerKey + "'"), "403");
    EXPECT_EQ(sh(reload + kAdminKey + "'"), "200");
    EXPECT_EQ(sh(reload + kAdminKey + "' -d '{\"path_id\":\"nosuch\"}'"), "404");
}

// Prometheus' own Python client parses the exposition; the counters move.
TEST_F(OperatorApiTest, MetricsAreReadableByThePrometheusClient) {
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    enroll("iot", "m1");
    const std::string metrics = "https://" + host() + "/api/v1/metrics";
    EXPECT_EQ(sh("curl -sS -o /dev/null -w '%{http_code}' --cacert pki/root-ca.crt " + metrics),
              "401");
    sh("curl -sSf --cacert pki/root-ca.crt -D metrics.head -o metrics.txt -H 'Authorization: "
       "Bearer " +
       std::string(kViewerKey) + "' " + metrics);
    EXPECT_NE(read_file(dir_ / "metrics.head")
                  .find("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
              std::string::npos)
        << read_file(dir_ / "metrics.head");
    // One "name label=value,... value" line per sample, labels sorted.
    std::ofstream(dir_ / "samples.py") << R"(
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(open("metrics.txt").read()):
    for s in family.samples:
        labels = ",".join(k + "=" + v for k, v in sorted(s.labels.items()))
        print(s.name, labels, s.value)
)";
    // Debian's python3, which has the packaged client.
    const auto samples = sh("/usr/bin/python3 samples.py");
    const auto has = [&](const std::string& line) {
        return ("\n" + samples).find("\n" + line + "\n") != std::string::npos;
    };
    EXPECT_TRUE(has("estd_est_audit_events_total action=est_simple_enroll_success,profile=iot 1.0"))
        << samples;
    EXPECT_TRUE(
        has("estd_est_audit_events_total action=est_simple_enroll_success,profile=corp 0.0"))
        << samples;
    EXPECT_TRUE(has("estd_issuer_ready issuer=iss-local 1.0")) << samples;
    EXPECT_TRUE(has("estd_est_request_duration_seconds_count operation=simpleenroll 1.0"))
        << samples;
    for (const char* name : {"estd_connections_open", "estd_connections_accepted_total",
                             "estd_http_requests_total", "estd_data_dir_available_bytes"}) {
        EXPECT_NE(samples.find(std::string("\n") + name + "  "), std::string::npos) << name << "\n"
                                                                                    << samples;
    }
}

TEST_F(OperatorApiTest, AuditRowsPastTheRetentionAreDeletedWhenEstdStarts) {
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    enroll("iot", "kept-a-while");
    const std::string enrolled = "/api/v1/audit?action_prefix=est_simple_enroll_success";
    ASSERT_EQ(api_get(enrolled)["events"].size(), 1U);
    ASSERT_EQ(daemon_.stop(), 0);

    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    auto short_retention = env();
    short_retention["CERTCTL_AUDIT_RETENTION"] = "2s";
    ASSERT_TRUE(daemon_.start(short_retention)) << daemon_.log();
    EXPECT_NE(daemon_.log().find("audit rows deleted after 2s"), std::string::npos)
        << daemon_.log();
    EXPECT_TRUE(api_get(enrolled)["events"].empty()) << api_get(enrolled);
    // The certificate itself is inventory, not audit: it stays.
    EXPECT_EQ(listed_serials().size(), 1U);
}

// Replicas behind a load balancer: one inventory, revocations seen by both
// (OCSP at once, the other's CRL at its next check), CRL numbers never
// repeated, one failed-Basic budget, and an estd that loses its database
// says so on /readyz and refuses enrollments until the database is back.
TEST_F(OperatorApiTest, TwoEstdSharingAPostgresDatabaseAreOneInventory) {
    ESTD_REQUIRE_POSTGRES();
    PostgresServer postgres(dir_ / "postgres");
    auto shared = env();
    shared["CERTCTL_DATABASE_URL"] = postgres.create_database("estd");
    shared["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "basic";
    shared["CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD"] = kCorpPassword;
    shared["CERTCTL_EST_PROFILE_IOT_RATE_LIMIT_PER_PRINCIPAL_24H"] = "2";
    // No limit counted in the database: its enrollments commit by callback
    // on the I/O thread, the others on a worker that read the counts first.
    shared["CERTCTL_EST_PROFILES"] = "iot,corp,open";
    const auto check = Daemon::run_once(shared, "check-config");
    EXPECT_NE(check.output.find(
                  "store: PostgreSQL estd@127.0.0.1:" + std::to_string(postgres.port()) + "/estd"),
              std::string::npos)
        << check.output;
    ASSERT_TRUE(daemon_.start(shared)) << daemon_.log();
    Daemon other;
    auto other_env = shared;
    other_env["CERTCTL_DATA_DIR"] = (dir_ / "data-other").string();
    ASSERT_TRUE(other.start(other_env)) << other.log();

    const auto here = enroll("iot", "here");
    const auto there = enroll_at(other, "iot", "there");
    EXPECT_EQ(listed_serials(), (std::set<std::string>{here, there}));

    const auto revoked = json::parse(
        sh("curl -sS -X POST -H 'Content-Type: application/json' -H 'Authorization: Bearer " +
           std::string(kAdminKey) + "' --cacert pki/root-ca.crt https://" + host_of(other) +
           "/api/v1/est/certificates/bulk-revoke -d '{\"reason\":\"keyCompromise\","
           "\"serials\":[\"" +
           here + "\"]}'"),
        nullptr, false);
    EXPECT_EQ(revoked["revoked_count"], 1) << revoked;
    const auto ocsp =
        sh("openssl ocsp -issuer pki/ca.crt -cert here.crt -CAfile chain.pem -url "
           "https://" +
           host() + "/.well-known/pki/ocsp 2>&1");
    EXPECT_NE(ocsp.find("here.crt: revoked"), std::string::npos) << ocsp;
    const auto crl_from = [&](const Daemon& daemon, const std::string& file) {
        sh("curl -sSf --cacert pki/root-ca.crt -o " + file + " https://" + host_of(daemon) +
           "/.well-known/pki/crls/iss-local.crl");
        return lower(sh("openssl crl -inform DER -in " + file + " -noout -text"));
    };
    std::string crl_here = crl_from(daemon_, "here.crl");
    for (int i = 0; i < 60 && crl_here.find(here) == std::string::npos; ++i) {
        std::this_thread::sleep_for(250ms);
        crl_here = crl_from(daemon_, "here.crl");
    }
    EXPECT_NE(crl_here.find(here), std::string::npos) << crl_here;
    EXPECT_NE(crl_from(other, "there.crl").find(here), std::string::npos);
    EXPECT_NE(sh("openssl crl -inform DER -in here.crl -noout -crlnumber"),
              sh("openssl crl -inform DER -in there.crl -noout -crlnumber"));
    const auto audit = api_get("/api/v1/audit?action_prefix=est_bulk_revoke");
    ASSERT_EQ(audit["events"].size(), 1U) << audit;
    EXPECT_EQ(audit["events"][0]["actor"], "ops");

    // Wrong Basic passwords on both count as one budget: after 5 on each,
    // the source is locked out on both, the right password included.
    const auto basic = [&](const Daemon& daemon, const std::string& password) {
        return sh(
            "curl -sS -o /dev/null -w '%{http_code}' --cacert pki/root-ca.crt -u 'dev:" + password +
            "' -H 'Content-Type: application/pkcs10' --data-binary @here.b64 https://" +
            host_of(daemon) + "/.well-known/est/corp/simpleenroll");
    };
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(basic(daemon_, "wrong"), "401");
        EXPECT_EQ(basic(other, "wrong"), "401");
    }
    EXPECT_EQ(basic(daemon_, kCorpPassword), "429");
    EXPECT_EQ(basic(other, kCorpPassword), "429");

    // The per-principal limit (2 a day) is one count too: one enrollment of
    // the same CN from the same address on each, then 429 on both.
    sh("openssl ecparam -name prime256v1 -genkey -noout -out capped.key && openssl req -new -key "
       "capped.key -subj /CN=capped -outform DER | base64 -w0 > capped.b64");
    const auto capped = [&](const Daemon& daemon) {
        return sh(
            "curl -sS -o /dev/null -w '%{http_code}' --cacert pki/root-ca.crt -H "
            "'Content-Type: application/pkcs10' --data-binary @capped.b64 https://" +
            host_of(daemon) + "/.well-known/est/iot/simpleenroll");
    };
    EXPECT_EQ(capped(daemon_), "200");
    EXPECT_EQ(capped(other), "200");
    EXPECT_EQ(capped(daemon_), "429");
    EXPECT_EQ(capped(other), "429");

    // The database refuses connections: not ready, no certificate.
    const std::string ready =
        "curl -sS -w '\\n%{http_code}' --cacert pki/root-ca.crt https://" + host() + "/readyz";
    const auto status_of = [](const std::string& answer) {
        return answer.substr(answer.size() - 3);
    };
    EXPECT_EQ(status_of(sh(ready)), "200");
    postgres.allow_connections("estd", false);
    const auto unready = sh(ready);
    EXPECT_EQ(status_of(unready), "503") << unready;
    EXPECT_NE(unready.find("the store cannot be reached"), std::string::npos) << unready;
    sh("openssl ecparam -name prime256v1 -genkey -noout -out down.key && openssl req -new -key "
       "down.key -subj /CN=down -outform DER | base64 -w0 > down.b64");
    const auto refused =
        sh("curl -sS -o /dev/null -w '%{http_code}' --cacert pki/root-ca.crt -H "
           "'Content-Type: application/pkcs10' --data-binary @down.b64 https://" +
           host() + "/.well-known/est/iot/simpleenroll");
    EXPECT_EQ(refused, "503");
    const auto refused_open =
        sh("curl -sS -o /dev/null -w '%{http_code}' --cacert pki/root-ca.crt -H "
           "'Content-Type: application/pkcs10' --data-binary @down.b64 https://" +
           host() + "/.well-known/est/open/simpleenroll");
    EXPECT_EQ(refused_open, "503");

    // Back: the same estd is ready again without a restart, as a load
    // balancer polling /readyz sees it (the pool retries after a second).
    postgres.allow_connections("estd", true);
    std::string readiness = sh(ready);
    for (int i = 0; i < 40 && status_of(readiness) != "200"; ++i) {
        std::this_thread::sleep_for(250ms);
        readiness = sh(ready);
    }
    EXPECT_EQ(status_of(readiness), "200") << readiness;
    const auto after = enroll("iot", "after");
    const auto open_after = enroll("open", "open-after");
    const auto listed = listed_serials();
    EXPECT_EQ(listed.count(after), 1U);
    EXPECT_EQ(listed.count(open_after), 1U);
    EXPECT_EQ(daemon_.log().find(PostgresServer::kPassword), std::string::npos);
    EXPECT_EQ(other.log().find(PostgresServer::kPassword), std::string::npos);
    EXPECT_EQ(other.stop(), 0);
}

TEST_F(OperatorApiTest, KillNineDuringEnrollmentsLosesNoCertificateAClientReceived) {
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    sh("openssl ecparam -name prime256v1 -genkey -noout -out k.key && openssl req -new -key k.key "
       "-subj /CN=stream -outform DER | base64 -w0 > k.b64");
    const std::string stream =
        "for w in 1 2 3 4; do (for i in $(seq 1 150); do curl -s --max-time 5 --cacert "
        "pki/root-ca.crt -H 'Content-Type: application/pkcs10' --data-binary @k.b64 -o "
        "out/$w-$i.p7 https://" +
        host() +
        "/.well-known/est/iot/simpleenroll || break; done) & "
        "done; wait";
    std::thread clients([&] { sh_result(stream); });
    // Kill once enrollments are flowing (bounded wait), not after a guess.
    const auto flowing_deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < flowing_deadline &&
           std::distance(fs::directory_iterator(dir_ / "out"), fs::directory_iterator{}) < 40) {
        std::this_thread::sleep_for(50ms);
    }
    daemon_.kill_hard();
    clients.join();

    // What the clients received: every response that parses as a certificate.
    const auto received_text =
        sh("for f in out/*.p7; do base64 -d $f 2>/dev/null | openssl pkcs7 -inform DER "
           "-print_certs 2>/dev/null | openssl x509 -noout -serial 2>/dev/null; done; true");
    std::set<std::string> received;
    std::istringstream lines(received_text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("serial=", 0) == 0) {
            received.insert(lower(line.substr(7)));
        }
    }
    ASSERT_FALSE(received.empty()) << "no enrollment finished before the kill";

    // Every certificate a client received has its audit line, and no line
    // is torn: each is a whole JSON object.
    std::set<std::string> audited;
    std::istringstream audit_lines(read_file(dir_ / "data/audit.log"));
    for (std::string line; std::getline(audit_lines, line);) {
        const auto event = json::parse(line, nullptr, false);
        ASSERT_TRUE(event.is_object()) << "torn audit line: " << line;
        if (event.value("action", "") == "est_simple_enroll_success") {
            audited.insert(lower(event.value("serial", "")));
        }
    }

    // Restarts cleanly: same store, serves reads and a new enrollment.
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    const auto after = enroll("iot", "after-restart");
    const auto listed = listed_serials();
    for (const auto& serial : received) {
        EXPECT_TRUE(listed.contains(serial)) << serial << " was received but not recorded";
        EXPECT_TRUE(audited.contains(serial)) << serial << " was received but not audited";
    }
    EXPECT_TRUE(listed.contains(after)) << after;
    std::cerr << received.size() << " certificates received before kill -9, " << listed.size()
              << " recorded\n";
}

TEST_F(OperatorApiTest, ExpiryWebhookFiresOncePerThresholdAlsoAcrossRestarts) {
    WebhookReceiver receiver(1);  // the first delivery attempt fails: retried
    auto environment = env();
    environment["CERTCTL_EST_DEFAULT_TTL"] = "2d";  // inside 30 and 7 days, not 1
    environment["CERTCTL_EXPIRY_SCAN_INTERVAL"] = "1s";
    environment["CERTCTL_WEBHOOK_URL"] =
        "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks/estd";
    environment["CERTCTL_WEBHOOK_SECRET"] = kWebhookSecret;
    ASSERT_TRUE(daemon_.start(environment)) << daemon_.log();
    const auto serial = enroll("iot", "short");

    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (receiver.accepted().size() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
    }
    std::this_thread::sleep_for(3s);  // several more scans: nothing new
    auto accepted = receiver.accepted();
    ASSERT_EQ(accepted.size(), 2U);
    EXPECT_GE(receiver.requests(), 3);  // the refused attempt was retried
    std::set<int> thresholds;
    for (const auto& delivery : accepted) {
        EXPECT_EQ(delivery.signature, "sha256=" + hmac_hex(kWebhookSecret, delivery.body));
        EXPECT_EQ(delivery.event, "cert.expiring_soon");
        const auto event = json::parse(delivery.body);
        EXPECT_EQ(event["type"], "cert.expiring_soon");
        EXPECT_EQ(event["data"]["serial"], serial);
        EXPECT_EQ(event["data"]["profile_id"], "cp-iot-sensors");
        thresholds.insert(event["data"]["threshold_days"].get<int>());
    }
    EXPECT_EQ(thresholds, (std::set<int>{30, 7}));

    daemon_.stop();
    ASSERT_TRUE(daemon_.start(environment)) << daemon_.log();
    std::this_thread::sleep_for(3500ms);
    EXPECT_EQ(receiver.accepted().size(), 2U);
}

TEST_F(OperatorApiTest, HttpsWebhookReceiversMustPresentATrustedCertificate) {
    // estd's own listener: its dev-only certificate is not in the system store.
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    auto url =
        notify::parse_webhook_url("https://127.0.0.1:" + std::to_string(daemon_.port()) + "/hooks");
    ASSERT_TRUE(url);
    auto answer = notify::post_json(*url, "{}", {}, 5s);
    ASSERT_FALSE(answer);
    EXPECT_NE(answer.error().message.find("TLS handshake"), std::string::npos)
        << answer.error().message;
}

}  // namespace
}  // namespace estd::testing
