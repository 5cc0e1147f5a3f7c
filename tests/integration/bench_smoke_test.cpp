// A smoke run of estd-bench against the real daemon (a few seconds, tiny
// concurrency), so the load generator does not rot. The full benchmark is
// bench/run.sh and stays out of CI (docs/performance.md).
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

#ifdef ESTD_BENCH_BINARY

class BenchSmokeTest : public ::testing::Test {
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
    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "---- estd log ----\n" << daemon_.log() << "\n";
        }
        daemon_.stop();
        fs::remove_all(dir_);
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

    fs::path dir_;
    Daemon daemon_;
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

#else

TEST(BenchSmokeTest, SkippedWithoutEstdBench) {
    GTEST_SKIP() << "estd-bench is not built (ESTD_BUILD_BENCH=OFF)";
}

#endif

}  // namespace
}  // namespace estd::testing
