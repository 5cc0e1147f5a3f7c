// A smoke run of estd-bench against the real daemon (a few seconds, tiny
// concurrency), so the load generator does not rot. The full benchmark is
// bench/run.sh and stays out of CI (docs/performance.md).
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/core_names.h>

#include "estd/net/server.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/csr.hpp"
#include "estd/pki/pkcs7.hpp"
#include "support/daemon_test.hpp"
#include "support/test_pki.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

#ifdef ESTD_BENCH_BINARY

class BenchSmokeTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-bench-smoke");
        make_dev_pki(dir_ / "pki", "bench");
        write_file(dir_ / "password", "smoke-password\n");
        auto env = dev_pki_environment(dir_);
        env.insert({
            {"CERTCTL_EST_PROFILES", "anon,basic"},
            {"CERTCTL_EST_PROFILE_BASIC_ALLOWED_AUTH_MODES", "basic"},
            {"CERTCTL_EST_PROFILE_BASIC_ENROLLMENT_PASSWORD", "smoke-password"},
        });
        ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    }

    // Runs estd-bench with `args` and returns its JSON result.
    nlohmann::json bench(const std::string& args) {
        const std::string command = std::string(ESTD_BENCH_BINARY) +
                                    " --url https://127.0.0.1:" + std::to_string(daemon_.port()) +
                                    " --cacert '" + (dir_ / "pki/root-ca.crt").string() +
                                    "' --json " + args;
        const auto result = run_command(command, std::chrono::seconds(60));
        EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
        auto json = nlohmann::json::parse(result.output, nullptr, false);
        EXPECT_FALSE(json.is_discarded()) << result.output;
        return json;
    }
};

TEST_F(BenchSmokeTest, EnrollKeepAliveWithBasicHasNoErrors) {
    const auto r =
        bench("--scenario enroll-keepalive --profile basic --user bench --password-file '" +
              (dir_ / "password").string() + "' -c 4 -d 2 --pool-size 8");
    EXPECT_GT(r.value("requests_ok", 0), 0) << r.dump(2);
    EXPECT_EQ(r["errors"].value("total", 1), 0) << r.dump(2);
}

TEST_F(BenchSmokeTest, EveryScenarioRunsCleanly) {
    for (const char* scenario : {"cacerts-keepalive", "enroll-new-conn", "reenroll-mtls",
                                 "reenroll-mtls-keepalive", "handshake"}) {
        const auto r = bench(std::string("--scenario ") + scenario + " --profile anon -c 2 -n 20 " +
                             "--pool-size 4");
        EXPECT_EQ(r.value("requests_ok", 0), 20) << scenario << "\n" << r.dump(2);
        EXPECT_EQ(r["errors"].value("total", 1), 0) << scenario << "\n" << r.dump(2);
    }
}

TEST_F(BenchSmokeTest, RsaCsrsAndWrongPasswordAreCountedByKind) {
    const auto rsa =
        bench("--scenario enroll-keepalive --profile anon --key-type rsa2048 -n 8 --pool-size 2");
    EXPECT_EQ(rsa.value("requests_ok", 0), 8) << rsa.dump(2);

    write_file(dir_ / "wrong", "not-the-password\n");
    const std::string command =
        std::string(ESTD_BENCH_BINARY) +
        " --url https://127.0.0.1:" + std::to_string(daemon_.port()) + " --cacert '" +
        (dir_ / "pki/root-ca.crt").string() +
        "' --json --scenario enroll-keepalive --profile basic --user bench --password-file '" +
        (dir_ / "wrong").string() + "' -n 3 --pool-size 1";
    const auto result = run_command(command);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    const auto r = nlohmann::json::parse(result.output, nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << result.output;
    EXPECT_EQ(r["errors"].value("http_status", 0), 3) << r.dump(2);
    EXPECT_EQ(r["http_statuses"].value("401", 0), 3) << r.dump(2);
}

TEST_F(BenchSmokeTest, IdleConnectionsAreHeld) {
    const auto r = bench("--idle-connections 50 -c 8 --hold 0");
    EXPECT_EQ(r.value("open", 0), 50) << r.dump(2);
}

// An enrollment stand-in whose answers the test builds: estd-bench must
// count a certificate for another key as key_mismatch, and accept the CSR's
// own key encoded another way (a compressed point) than the CSR had it.
class BenchAnswerCheckTest : public ::testing::Test {
  protected:
    enum class Answer { another_key, compressed_point };

    void SetUp() override {
        dir_ = make_temp_dir("estd-bench-answers");
        make_dev_pki(dir_ / "pki", "answers");
        ca_key_ = test::make_ec_key();
        ca_ = test::make_self_signed_ca("Stand-in CA", ca_key_.get());
    }
    void TearDown() override {
        if (server_) {
            server_->stop();
            ASSERT_EQ(runner_.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        }
        fs::remove_all(dir_);
    }

    void start(Answer answer) {
        config::ListenerConfig listener;
        listener.port = 0;
        listener.threads = 1;
        listener.tls_cert_path = (dir_ / "pki/tls.crt").string();
        listener.tls_key_path = (dir_ / "pki/tls.key").string();
        server_ = std::make_unique<net::Server>(
            listener, [this, answer](const net::Request& request, const pki::PeerIdentity&) {
                return respond(request, answer);
            });
        const auto opened = server_->open();
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        runner_ = std::async(std::launch::async, [server = server_.get()] { server->run(); });
    }

    net::Response respond(const net::Request& request, Answer answer) {
        namespace http = boost::beast::http;
        net::Response response{http::status::bad_request, request.version()};
        const auto der = pki::base64_decode_lenient(request.body());
        if (!der) {
            return response;
        }
        auto csr = pki::Csr::from_der(*der);
        if (!csr) {
            return response;
        }
        auto key = test::make_ec_key();
        if (answer == Answer::compressed_point) {
            key.reset(EVP_PKEY_dup(csr->public_key()));
            EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                           "compressed");
        }
        test::CaOptions leaf;
        leaf.ca = false;
        const auto cert =
            test::make_certificate("stand-in", key.get(), ca_.get(), ca_key_.get(), leaf);
        if (pki::public_key_info_der(X509_get_X509_PUBKEY(cert.get())) ==
            pki::public_key_info_der(X509_REQ_get_X509_PUBKEY(csr->get()))) {
            response.result(http::status::internal_server_error);  // the test would prove nothing
            return response;
        }
        response.result(http::status::ok);
        response.set(http::field::content_type, "application/pkcs7-mime");
        response.body() = pki::base64_encode_lines(*pki::certs_only_der({cert.get()}));
        response.prepare_payload();
        return response;
    }

    CommandResult bench() {
        return run_command(
            std::string(ESTD_BENCH_BINARY) + " --url https://127.0.0.1:" +
            std::to_string(server_->port()) + " --cacert '" + (dir_ / "pki/root-ca.crt").string() +
            "' --json --scenario enroll-keepalive --profile anon -n 4 --pool-size 2");
    }

    fs::path dir_;
    pki::EvpPkeyPtr ca_key_;
    pki::X509Ptr ca_;
    std::unique_ptr<net::Server> server_;
    std::future<void> runner_;
};

TEST_F(BenchAnswerCheckTest, CertificateForAnotherKeyIsAKeyMismatch) {
    start(Answer::another_key);
    const auto result = bench();
    EXPECT_EQ(result.exit_code, 1) << result.output;
    const auto r = nlohmann::json::parse(result.output, nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << result.output;
    EXPECT_EQ(r["errors"].value("key_mismatch", 0), 4) << r.dump(2);
    EXPECT_EQ(r.value("requests_ok", -1), 0) << r.dump(2);
}

TEST_F(BenchAnswerCheckTest, SameKeyEncodedAnotherWayMatches) {
    start(Answer::compressed_point);
    const auto result = bench();
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const auto r = nlohmann::json::parse(result.output, nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << result.output;
    EXPECT_EQ(r.value("requests_ok", 0), 4) << r.dump(2);
}

#else

TEST(BenchSmokeTest, SkippedWithoutEstdBench) {
    GTEST_SKIP() << "estd-bench is not built (ESTD_BUILD_BENCH=OFF)";
}

#endif

}  // namespace
}  // namespace estd::testing
