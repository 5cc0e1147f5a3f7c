#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "estd/audit/audit_codes.hpp"
#include "estd/audit/audit_log.hpp"
#include "estd/audit/counters.hpp"

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

}  // namespace
}  // namespace estd::audit
