// A full disk under the audit log or the store fails enrollments closed:
// 503 naming what failed, no certificate without its record (one withheld
// for want of its audit line is revoked), estd stays up and serves again once
// space returns; /readyz says 503 before the disk is full. Real write
// failures without root: the audit log is a symlink to /dev/full (ENOSPC on
// every write); the store runs under a lowered RLIMIT_FSIZE (EFBIG), lifted
// again with prlimit.

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kAdminKey = "adm-0123456789abcdef0123";

struct Answer {
    std::string status;
    std::string content_type;
    std::string body;
};

class FailClosedTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-failclosed");
        make_dev_pki(dir_ / "pki", "corp");
        fs::create_directories(dir_ / "data");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out k.key && openssl req -new -key "
           "k.key -subj /CN=disk -outform DER | base64 -w0 > k.b64");
    }

    Daemon::Environment env() const {
        auto env = dev_pki_environment(dir_);
        env.insert({
            {"CERTCTL_EST_ISSUER_ID", "iss-local"},
            {"CERTCTL_API_KEYS_NAMED", std::string("ops:") + kAdminKey + ":admin"},
        });
        return env;
    }

    // One simpleenroll with curl, bounded in time.
    Answer enroll() {
        run_command("cd '" + dir_.string() +
                        "' && curl -s --max-time 10 --cacert pki/root-ca.crt -H "
                        "'Content-Type: application/pkcs10' --data-binary @k.b64 -o body -D head "
                        "https://127.0.0.1:" +
                        std::to_string(daemon_.port()) + "/.well-known/est/simpleenroll",
                    std::chrono::seconds(15));
        Answer answer;
        const auto head = read_file(dir_ / "head");
        if (head.size() > 12) {
            answer.status = head.substr(9, 3);
        }
        const auto at = head.find("Content-Type: ");
        if (at != std::string::npos) {
            answer.content_type = head.substr(at + 14, head.find("\r\n", at) - at - 14);
        }
        answer.body = read_file(dir_ / "body");
        fs::remove(dir_ / "head");
        fs::remove(dir_ / "body");
        return answer;
    }

    // Certificates estd has recorded, as the operator API lists them.
    nlohmann::json listed(const std::string& query = "") {
        const auto out =
            sh("curl -s --max-time 10 --cacert pki/root-ca.crt -H 'Authorization: "
               "Bearer " +
               std::string(kAdminKey) + "' 'https://127.0.0.1:" + std::to_string(daemon_.port()) +
               "/api/v1/est/certificates?limit=500" + query + "'");
        const auto answer = nlohmann::json::parse(out, nullptr, false);
        EXPECT_TRUE(answer.is_object()) << out;
        return answer.is_object() ? answer["certificates"] : nlohmann::json::array();
    }
    std::size_t recorded() { return listed().size(); }

    std::uintmax_t size_of(const char* rel) const {
        std::error_code ec;
        const auto size = fs::file_size(dir_ / rel, ec);
        return ec ? 0 : size;
    }
};

TEST_F(FailClosedTest, AuditLogOnAFullDiskWithholdsTheCertificate) {
    fs::create_symlink("/dev/full", dir_ / "data/audit.log");
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    for (int i = 0; i < 3; ++i) {
        const auto answer = enroll();
        EXPECT_EQ(answer.status, "503") << answer.body;
        EXPECT_EQ(answer.content_type.find("pkcs7"), std::string::npos) << answer.content_type;
        EXPECT_NE(answer.body.find("audit log"), std::string::npos) << answer.body;
    }
    // Still up; the reason is in estd's log.
    EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert pki/root-ca.crt "
                 "https://127.0.0.1:" +
                 std::to_string(daemon_.port()) + "/.well-known/est/cacerts"),
              "200");
    EXPECT_NE(daemon_.log().find("No space left on device"), std::string::npos);
    // The three were signed and recorded but no client has them: revoked.
    EXPECT_TRUE(listed("&status=active").empty());
    const auto revoked = listed("&status=revoked");
    ASSERT_EQ(revoked.size(), 3U) << revoked.dump();
    for (const auto& cert : revoked) {
        EXPECT_EQ(cert["revocation"]["reason"], "cessationOfOperation") << cert.dump();
        EXPECT_EQ(cert["revocation"]["revoked_by"], "estd: withheld, audit record not written");
    }
    // An operator's bulk revocation is not refused for want of its audit
    // line, and its answer says the line is missing.
    const auto bulk = nlohmann::json::parse(
        sh("curl -s --max-time 10 --cacert pki/root-ca.crt -H 'Authorization: Bearer " +
           std::string(kAdminKey) +
           "' -H 'Content-Type: application/json' -d "
           "'{\"reason\":\"keyCompromise\",\"issuer_id\":\"iss-local\"}' https://127.0.0.1:" +
           std::to_string(daemon_.port()) + "/api/v1/est/certificates/bulk-revoke"),
        nullptr, false);
    ASSERT_TRUE(bulk.is_object());
    EXPECT_EQ(bulk["revoked_count"], 0) << bulk.dump();
    ASSERT_TRUE(bulk.contains("audit_error")) << bulk.dump();
    EXPECT_NE(bulk["audit_error"].get<std::string>().find("No space left on device"),
              std::string::npos)
        << bulk.dump();
}

TEST_F(FailClosedTest, ReadinessFailsWhileTheDataDirectoryIsUnderItsReserve) {
    auto short_of_space = env();
    short_of_space["CERTCTL_DATA_DIR_MIN_FREE_MIB"] = "1073741824";  // 1 PiB
    ASSERT_TRUE(daemon_.start(short_of_space)) << daemon_.log();
    const auto readyz = [this] {
        return sh(
            "curl -s --max-time 5 --cacert pki/root-ca.crt -w ' %{http_code}' "
            "https://127.0.0.1:" +
            std::to_string(daemon_.port()) + "/readyz");
    };
    const auto answer = readyz();
    EXPECT_NE(answer.find("not ready: the data directory "), std::string::npos) << answer;
    EXPECT_NE(answer.find("MiB available, under the 1073741824 MiB kept free"), std::string::npos)
        << answer;
    EXPECT_EQ(answer.substr(answer.size() - 4), " 503") << answer;
    // Readiness steers the load balancer; what still fits is still served.
    EXPECT_EQ(enroll().status, "200");

    ASSERT_EQ(daemon_.stop(), 0);
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    EXPECT_EQ(readyz(), "ready\n 200");
}

TEST_F(FailClosedTest, StoreOnAFullDiskFailsClosedAndRecovers) {
    // Grow the store once, then give every file estd writes a ceiling a
    // little above it: the WAL reaches it after some enrollments.
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();
    ASSERT_EQ(enroll().status, "200");
    ASSERT_EQ(daemon_.stop(), 0);
    const auto ceiling = std::max(size_of("data/estd.db"), size_of("data/audit.log")) + 96 * 1024;
    daemon_.set_file_size_limit(ceiling);
    ASSERT_TRUE(daemon_.start(env())) << daemon_.log();

    int delivered = 1;  // the one before the restart
    Answer refused;
    const auto deadline = Clock::now() + 40s;
    for (int i = 0; i < 200 && Clock::now() < deadline; ++i) {
        auto answer = enroll();
        if (answer.status == "200") {
            ++delivered;
            continue;
        }
        refused = std::move(answer);
        break;
    }
    ASSERT_EQ(refused.status, "503") << "the store never filled up (ceiling " << ceiling
                                     << " bytes, " << delivered << " delivered)";
    EXPECT_EQ(refused.content_type.find("pkcs7"), std::string::npos);
    EXPECT_NE(refused.body.find("inventory store"), std::string::npos) << refused.body;
    // No certificate went out without its record, and none was recorded
    // for the refusal.
    EXPECT_EQ(recorded(), static_cast<std::size_t>(delivered));

    // Space returns: estd serves again without a restart.
    ASSERT_TRUE(daemon_.raise_file_size_limit());
    const auto again = enroll();
    EXPECT_EQ(again.status, "200") << again.body;
    EXPECT_EQ(recorded(), static_cast<std::size_t>(delivered + 1));
    EXPECT_TRUE(daemon_.running());
}

}  // namespace
}  // namespace estd::testing
