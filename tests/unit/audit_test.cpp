#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "estd/audit/audit_codes.hpp"
#include "estd/audit/audit_log.hpp"
#include "estd/audit/counters.hpp"
#include "support/test_pki.hpp"

namespace estd::audit {
namespace {

TEST(AuditTest, CountersAreKeptPerProfile) {
    ProfileCounters counters({"corp", "iot"});
    counters.increment("corp", codes::kAuthFailedBasic);
    counters.increment("corp", codes::kAuthFailedBasic);
    counters.increment("iot", codes::kSimpleEnrollSuccess);
    counters.increment("nosuch", codes::kSimpleEnrollSuccess);
    EXPECT_EQ(counters.value("corp", codes::kAuthFailedBasic), 2u);
    EXPECT_EQ(counters.value("iot", codes::kAuthFailedBasic), 0u);
    EXPECT_EQ(counters.value("iot", codes::kSimpleEnrollSuccess), 1u);
    EXPECT_EQ(counters.value("corp", codes::kSimpleEnrollSuccess), 0u);
    const auto grid = counters.snapshot("corp");
    EXPECT_EQ(grid.size(), codes::kCountedCodes.size());
    EXPECT_EQ(grid.at(std::string(codes::kAuthFailedBasic)), 2u);
}

TEST(AuditTest, JsonLineCarriesTheOutcomeAndSurvivesBadUtf8) {
    AuditEvent event;
    event.action = std::string(codes::kCsrPolicyViolation);
    event.operation_action = std::string(codes::kSimpleEnrollFailed);
    event.profile = "corp";
    event.source_ip = "127.0.0.1";
    event.subject = "CN=bad\xff\xfe";
    event.reason = "key algorithm: RSA-1024 is below RSA-2048";
    event.status = 400;
    const std::string line = to_json_line(event);
    ASSERT_EQ(line.back(), '\n');
    const auto parsed = nlohmann::json::parse(line);
    EXPECT_EQ(parsed["action"], "est_csr_policy_violation");
    EXPECT_EQ(parsed["operation_action"], "est_simple_enroll_failed");
    EXPECT_EQ(parsed["profile"], "corp");
    EXPECT_EQ(parsed["status"], 400);
    EXPECT_TRUE(parsed.contains("time"));
    EXPECT_FALSE(parsed.contains("serial"));
}

// A full disk (/dev/full answers every write with ENOSPC) is an error the
// caller sees, not a line silently lost.
TEST(AuditTest, AWriteOnAFullDiskIsAnError) {
    auto log = AuditLogFile::open("/dev/full");
    ASSERT_TRUE(log) << log.error().message;
    AuditEvent event;
    event.action = std::string(codes::kSimpleEnrollSuccess);
    const auto written = (*log)->record(event);
    ASSERT_FALSE(written);
    EXPECT_NE(written.error().message.find("No space left on device"), std::string::npos)
        << written.error().message;
}

AuditEvent event_with_request_id(const std::string& request_id) {
    AuditEvent event;
    event.action = std::string(codes::kSimpleEnrollSuccess);
    event.request_id = request_id;
    return event;
}

// The request ids of the lines in `path`, in order.
std::vector<std::string> request_ids_in(const std::filesystem::path& path) {
    std::ifstream lines(path);
    std::vector<std::string> ids;
    for (std::string line; std::getline(lines, line);) {
        ids.push_back(nlohmann::json::parse(line)["request_id"]);
    }
    return ids;
}

// A line the file size limit cuts short (EFBIG after a partial write) is cut
// off again: the file keeps only whole lines. Run in a child process, whose
// RLIMIT_FSIZE can be lowered without touching the test runner.
TEST(AuditTest, AShortWriteIsCutOffSoNoTornLineRemains) {
    test::TempDir dir;
    const auto path = dir.path() / "audit.log";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        auto log = AuditLogFile::open(path);
        if (!log || !(*log)->record(event_with_request_id("first"))) {
            ::_exit(2);
        }
        rlimit limit{};
        ::getrlimit(RLIMIT_FSIZE, &limit);
        limit.rlim_cur = std::filesystem::file_size(path) + 16;
        ::setrlimit(RLIMIT_FSIZE, &limit);
        const auto cut = (*log)->record(event_with_request_id(std::string(200, 'x')));
        const bool reported = !cut && cut.error().message.find("audit log") != std::string::npos;
        ::_exit(reported ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0)
        << "2: the first line failed, 3: the cut one was not reported";
    EXPECT_EQ(request_ids_in(path), std::vector<std::string>{"first"});
}

// logrotate's default: move the file aside, then signal the daemon.
TEST(AuditTest, ReopenStartsANewFileWhereTheRotatedOneWas) {
    test::TempDir dir;
    const auto path = dir.path() / "audit.log";
    auto log = AuditLogFile::open(path);
    ASSERT_TRUE(log) << log.error().message;
    ASSERT_TRUE((*log)->record(event_with_request_id("before")));
    std::filesystem::rename(path, dir.path() / "audit.log.1");
    ASSERT_TRUE((*log)->record(event_with_request_id("rotated, not yet reopened")));
    ASSERT_TRUE((*log)->reopen());
    ASSERT_TRUE((*log)->record(event_with_request_id("after")));

    EXPECT_EQ(request_ids_in(dir.path() / "audit.log.1"),
              (std::vector<std::string>{"before", "rotated, not yet reopened"}));
    EXPECT_EQ(request_ids_in(path), std::vector<std::string>{"after"});
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);
}

TEST(AuditTest, AReopenThatFailsKeepsTheFileInUse) {
    test::TempDir dir;
    const auto path = dir.path() / "audit.log";
    auto log = AuditLogFile::open(path);
    ASSERT_TRUE(log) << log.error().message;
    std::filesystem::rename(path, dir.path() / "audit.log.1");
    std::filesystem::create_directory(path);  // nothing can be opened for writing there
    const auto reopened = (*log)->reopen();
    ASSERT_FALSE(reopened);
    EXPECT_NE(reopened.error().message.find("cannot open audit log " + path.string()),
              std::string::npos)
        << reopened.error().message;
    ASSERT_TRUE((*log)->record(event_with_request_id("still written")));
    EXPECT_EQ(request_ids_in(dir.path() / "audit.log.1"),
              std::vector<std::string>{"still written"});
}

}  // namespace
}  // namespace estd::audit
