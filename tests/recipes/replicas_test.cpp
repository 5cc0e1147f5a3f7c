// Recipe: two estd replicas on one PostgreSQL database behind nginx
// (docs/recipes/replicas.md). nginx balances TLS connections (stream,
// passthrough) with the recipe's configuration (deploy/recipes/replicas/);
// estd-bench enrolls through it while one replica is killed (-9) and
// restarted and PostgreSQL is restarted. Then: every certificate a client
// received is in the inventory and in an audit record, no serial repeats,
// the failed-Basic budget and the per-principal limit hold across the
// replicas, each replica's CRL lists a revocation made on the other, and
// the service is back without anyone touching it.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "recipes/recipe_support.hpp"
#include "support/daemon.hpp"
#include "support/nginx.hpp"
#include "support/postgres.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
using recipes::source_path;
using Clock = std::chrono::steady_clock;

constexpr const char* kDocument = "docs/recipes/replicas.md";
constexpr const char* kRecipe = "deploy/recipes/replicas";
constexpr const char* kTemplate = "deploy/recipes/replicas/estd-lb.conf.template";
constexpr const char* kEstdEnv = "deploy/recipes/replicas/estd.env";
constexpr const char* kPassword = "replica-enroll-s3cret";
constexpr const char* kAdminKey = "replica-admin-key-0123456789";
constexpr int kLoadSeconds = 40;

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

TEST(ReplicasRecipe, TheDocumentQuotesTheFilesTheTestRuns) {
    recipes::expect_document_quotes(kDocument, kRecipe);
    EXPECT_NE(read_file(source_path(kDocument))
                  .find("deploy/recipes/render.sh " + std::string(kTemplate) + " "),
              std::string::npos);
}

class ReplicasTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTD_REQUIRE_POSTGRES();
        if (const auto reason = nginx_unavailable_reason(); !reason.empty()) {
            if (std::getenv("CI") != nullptr) {
                FAIL() << reason;
            }
            GTEST_SKIP() << reason;
        }
        dir_ = make_temp_dir("estd-replicas");
        make_dev_pki(dir_ / "pki", "replicas");
        write_file(dir_ / "password", std::string(kPassword) + "\n");
        postgres_ = std::make_unique<PostgresServer>(dir_ / "pg");
        const std::string database = postgres_->create_database("estd");

        auto env = dev_pki_environment(dir_);
        ASSERT_NO_FATAL_FAILURE(recipes::render(source_path(kEstdEnv).string(), dir_ / "estd.env",
                                                {{"DATABASE_URL", database},
                                                 {"FLEET_PASSWORD", kPassword},
                                                 {"ADMIN_API_KEY", kAdminKey}}));
        for (const auto& [name, value] : recipes::read_environment_file(dir_ / "estd.env")) {
            env[name] = value;
        }
        for (std::size_t i = 0; i < replicas_.size(); ++i) {
            env["CERTCTL_DATA_DIR"] = p("data-" + std::to_string(i + 1));
            ASSERT_TRUE(replicas_[i].start(env)) << replicas_[i].log();
        }

        lb_port_ = free_loopback_port();
        const fs::path nginx_dir = dir_ / "nginx";
        fs::create_directories(nginx_dir);
        ASSERT_NO_FATAL_FAILURE(
            recipes::render(source_path(kTemplate).string(), nginx_dir / "estd-lb.conf",
                            {{"ESTD_REPLICA_1", "127.0.0.1:" + std::to_string(replicas_[0].port())},
                             {"ESTD_REPLICA_2", "127.0.0.1:" + std::to_string(replicas_[1].port())},
                             {"LB_LISTEN", "127.0.0.1:" + std::to_string(lb_port_)}}));
        const std::string d = nginx_dir.string();
        write_file(nginx_dir / "nginx.conf",
                   "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"
                   "worker_processes 1;\n"
                   "pid " +
                       d +
                       "/nginx.pid;\n"
                       "events { worker_connections 256; }\n"
                       "include " +
                       d + "/estd-lb.conf;\n");
        nginx_ = std::make_unique<Nginx>(nginx_dir);
        ASSERT_TRUE(nginx_->start(nginx_dir / "nginx.conf", lb_port_)) << nginx_->log();
    }
    void TearDown() override {
        if (HasFailure()) {
            for (auto& replica : replicas_) {
                std::cerr << "---- estd log ----\n" << replica.log() << "\n";
            }
            if (nginx_) {
                std::cerr << nginx_->log() << "\n";
            }
        }
        nginx_.reset();
        for (auto& replica : replicas_) {
            replica.stop();
        }
        postgres_.reset();
        if (!dir_.empty()) {
            fs::remove_all(dir_);
        }
    }

    std::string p(const std::string& rel) const { return (dir_ / rel).string(); }
    std::string sh(const std::string& command) {
        auto result = run_command("cd '" + dir_.string() + "' && { " + command + "\n} 2>&1");
        EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
        return result.output;
    }
    std::string lb_url(const std::string& path) const {
        return "https://127.0.0.1:" + std::to_string(lb_port_) + path;
    }
    // One request; the status code.
    std::string curl(const std::string& args, const std::string& url) {
        return sh("curl -sS --cacert pki/root-ca.crt -o /dev/null -w '%{http_code}' " + args + " " +
                  url);
    }
    std::string enroll_args(const std::string& cn, const std::string& password = kPassword) {
        sh("test -e device.key || openssl ecparam -name prime256v1 -genkey -noout -out "
           "device.key");
        sh("openssl req -new -key device.key -subj '/CN=" + cn +
           "' -outform DER | base64 -w0 > csr.b64");
        return "-u device:" + password +
               " -H 'Content-Type: application/pkcs10' --data-binary @csr.b64";
    }
    // Serials of every est_simple_enroll_success line of both replicas' audit.log.
    std::set<std::string> audited_serials() const {
        std::set<std::string> serials;
        for (std::size_t i = 0; i < replicas_.size(); ++i) {
            std::istringstream lines(
                read_file(dir_ / ("data-" + std::to_string(i + 1)) / "audit.log"));
            for (std::string line; std::getline(lines, line);) {
                const auto row = nlohmann::json::parse(line, nullptr, false);
                if (!row.is_discarded() && row.value("action", "") == "est_simple_enroll_success") {
                    serials.insert(row.value("serial", ""));
                }
            }
        }
        return serials;
    }
    std::set<std::string> query_set(const std::string& sql) const {
        const auto result = postgres_->psql("estd", sql);
        EXPECT_EQ(result.exit_code, 0) << result.output;
        std::set<std::string> rows;
        std::istringstream lines(result.output);
        for (std::string line; std::getline(lines, line);) {
            if (!line.empty()) {
                rows.insert(line);
            }
        }
        return rows;
    }
    // Revokes `serial` through replica `on`'s operator API; waits until the
    // CRL of replica `check` lists it. The seconds that took, or -1.
    double revoke_and_wait_for_crl(std::size_t on, std::size_t check, const std::string& serial) {
        const std::string answer =
            curl("-X POST -H 'Authorization: Bearer " + std::string(kAdminKey) +
                     "' -H 'Content-Type: application/json' -d '{\"reason\":\"keyCompromise\","
                     "\"serials\":[\"" +
                     serial + "\"]}'",
                 replicas_[on].url("/api/v1/est/certificates/bulk-revoke"));
        EXPECT_EQ(answer, "200");
        const auto start = Clock::now();
        while (Clock::now() - start < std::chrono::seconds(20)) {
            const auto crl =
                run_command("cd '" + dir_.string() + "' && curl -sS --cacert pki/root-ca.crt " +
                            replicas_[check].url("/.well-known/pki/crls/iss-local.crl") +
                            " | openssl crl -inform DER -noout -text");
            if (crl.output.find(upper(serial)) != std::string::npos) {
                return std::chrono::duration<double>(Clock::now() - start).count();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        return -1;
    }

    fs::path dir_;
    std::unique_ptr<PostgresServer> postgres_;
    std::array<Daemon, 2> replicas_;
    std::unique_ptr<Nginx> nginx_;
    unsigned short lb_port_ = 0;
};

TEST_F(ReplicasTest, EnrollmentLoadSurvivesAKilledReplicaAndADatabaseRestart) {
    // Steady load through the load balancer, every received serial recorded.
    const auto load_started = std::chrono::system_clock::now();
    auto load = std::async(std::launch::async, [this] {
        return run_command(std::string(ESTD_BENCH_BINARY) + " --url " + lb_url("") +
                               " --profile fleet --scenario enroll-new-conn -c 4 -d " +
                               std::to_string(kLoadSeconds) + " --user device --password-file " +
                               p("password") + " --cacert " + p("pki/root-ca.crt") +
                               " --timeout 5 --json-out " + p("bench.json") + " --serials-out " +
                               p("serials.txt") + " 2>&1",
                           std::chrono::seconds(kLoadSeconds + 60));
    });
    const auto at = [&](int second) {
        std::this_thread::sleep_until(load_started + std::chrono::seconds(second));
    };
    std::cout << "[ timeline ] load " << kLoadSeconds << " s through nginx\n";
    at(8);
    replicas_[0].kill_hard();
    std::cout << "[ timeline ] 8 s: replica 1 killed (SIGKILL)\n";
    at(14);
    ASSERT_TRUE(replicas_[0].restart()) << replicas_[0].log();
    std::cout << "[ timeline ] 14 s: replica 1 restarted, /healthz answers\n";
    at(22);
    postgres_->restart();
    std::cout << "[ timeline ] 22 s: PostgreSQL restarted (immediate stop, start)\n";
    const auto bench = load.get();
    const auto load_ended = std::chrono::system_clock::now();

    // What the client saw.
    const auto summary = nlohmann::json::parse(read_file(dir_ / "bench.json"), nullptr, false);
    ASSERT_FALSE(summary.is_discarded()) << bench.output;
    const auto ok = summary.value("requests_ok", std::uint64_t{0});
    const auto errors = summary["errors"].value("total", std::uint64_t{0});
    std::vector<std::pair<long long, std::string>> received;
    {
        std::istringstream lines(read_file(dir_ / "serials.txt"));
        long long ms = 0;
        std::string serial;
        while (lines >> ms >> serial) {
            received.emplace_back(ms, serial);
        }
    }
    ASSERT_EQ(received.size(), ok) << bench.output;
    ASSERT_GT(ok, 50u) << bench.output;
    const auto ms_of = [](std::chrono::system_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    };
    long long longest_gap = received.front().first - ms_of(load_started);
    long long gap_at = 0;
    for (std::size_t i = 1; i < received.size(); ++i) {
        if (received[i].first - received[i - 1].first > longest_gap) {
            longest_gap = received[i].first - received[i - 1].first;
            gap_at = received[i - 1].first - ms_of(load_started);
        }
    }
    std::cout << "[ figures  ] certificates received " << ok << ", errors " << errors
              << " (by kind " << summary["errors"].dump() << ", statuses "
              << summary.value("http_statuses", nlohmann::json::object()).dump() << ", samples "
              << summary.value("error_samples", nlohmann::json::object()).dump()
              << "), longest gap between two certificates " << longest_gap << " ms (after "
              << static_cast<double>(gap_at) / 1000.0 << " s), last certificate "
              << static_cast<double>(ms_of(load_ended) - received.back().first) / 1000.0
              << " s before the load ended\n";

    // Serials never repeat: not among those received, not in the inventory.
    std::set<std::string> serials;
    for (const auto& [ms, serial] : received) {
        EXPECT_TRUE(serials.insert(serial).second) << "serial received twice: " << serial;
    }
    EXPECT_EQ(postgres_->psql("estd", "SELECT count(*) - count(DISTINCT serial) FROM certificates")
                  .output,
              "0\n");
    // Every certificate received is in the inventory and in an audit record
    // (audit.log: each replica's synchronous one).
    const auto inventory = query_set("SELECT serial FROM certificates WHERE est_profile = 'fleet'");
    const auto audited = audited_serials();
    std::size_t missing_inventory = 0;
    std::size_t missing_audit = 0;
    for (const auto& serial : serials) {
        missing_inventory += inventory.count(serial) == 0;
        missing_audit += audited.count(serial) == 0;
    }
    EXPECT_EQ(missing_inventory, 0u);
    EXPECT_EQ(missing_audit, 0u);
    // The database's audit rows are written behind the answer (queued): those
    // of requests in flight when PostgreSQL went down may be lost; counted.
    const auto db_audited =
        query_set("SELECT serial FROM audit_events WHERE action = 'est_simple_enroll_success'");
    std::size_t missing_db_audit = 0;
    for (const auto& serial : serials) {
        missing_db_audit += db_audited.count(serial) == 0;
    }
    std::cout << "[ figures  ] inventory rows " << inventory.size()
              << " (certificates issued but not received: the answers lost in flight), "
              << "received without a database audit row " << missing_db_audit << "\n";

    // Back without operator action: both replicas ready, enrollments through
    // the load balancer answered on both.
    for (auto& replica : replicas_) {
        EXPECT_EQ(curl("", replica.url("/readyz")), "200");
    }
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(curl(enroll_args("after-" + std::to_string(i)),
                       lb_url("/.well-known/est/fleet/simpleenroll")),
                  "200");
    }

    // A revocation on either replica is on the other's CRL.
    const double seconds_1_to_2 = revoke_and_wait_for_crl(0, 1, received.front().second);
    const double seconds_2_to_1 = revoke_and_wait_for_crl(1, 0, received.back().second);
    EXPECT_GE(seconds_1_to_2, 0);
    EXPECT_GE(seconds_2_to_1, 0);
    std::cout << "[ figures  ] revoked on replica 1, on replica 2's CRL after " << seconds_1_to_2
              << " s; revoked on replica 2, on replica 1's CRL after " << seconds_2_to_1 << " s\n";
}

TEST_F(ReplicasTest, LimitsAreOneBudgetAcrossTheReplicas) {
    // Failed Basic from one source (127.0.0.2), alternating replicas: ten in
    // all lock it out on both, even with the right password.
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(
            curl("--interface 127.0.0.2 " + enroll_args("guess", "wrong-" + std::to_string(i)),
                 replicas_[i % 2].url("/.well-known/est/capped/simpleenroll")),
            "401")
            << i;
    }
    for (auto& replica : replicas_) {
        EXPECT_EQ(curl("--interface 127.0.0.2 " + enroll_args("guess"),
                       replica.url("/.well-known/est/capped/simpleenroll")),
                  "429");
    }
    // Per principal (CN, source): three enrollments in all, whichever replica.
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(curl(enroll_args("dev-1"),
                       replicas_[i % 2].url("/.well-known/est/capped/simpleenroll")),
                  "200")
            << i;
    }
    for (auto& replica : replicas_) {
        EXPECT_EQ(curl(enroll_args("dev-1"), replica.url("/.well-known/est/capped/simpleenroll")),
                  "429");
    }
}

}  // namespace
}  // namespace estd::testing
