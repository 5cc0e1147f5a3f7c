#include <chrono>

#include <gtest/gtest.h>

#include "estd/client/renewal.hpp"
#include "support/test_pki.hpp"

namespace estd::client {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using Clock = std::chrono::system_clock;

long long parsed(const char* text) {
    auto threshold = parse_renewal_threshold(text);
    EXPECT_TRUE(threshold.ok()) << text << ": " << threshold.error().message;
    return threshold ? threshold->basis_points : -1;
}

TEST(ClientRenewal, ThresholdsArePercentages) {
    EXPECT_EQ(parsed("25%"), 2500);
    EXPECT_EQ(parsed("25"), 2500);
    EXPECT_EQ(parsed("100%"), 10000);
    EXPECT_EQ(parsed("12.5%"), 1250);
    EXPECT_EQ(parsed("0.05%"), 5);
    EXPECT_EQ(parsed("050"), 5000);
}

TEST(ClientRenewal, RefusesWhatIsNotAPercentage) {
    for (const char* text : {"", "%", "0", "0%", "0.00", "101%", "100.01", "-5%", "+5", "25 %",
                             " 25", "1e1", "0.25x", "12.", ".5", "12.345", "25%%", "1000"}) {
        const auto threshold = parse_renewal_threshold(text);
        EXPECT_FALSE(threshold.ok()) << '"' << text << '"';
        if (!threshold) {
            EXPECT_NE(threshold.error().message.find("percentage"), std::string::npos);
        }
    }
}

TEST(ClientRenewal, DueAtOrBelowTheThreshold) {
    const Clock::time_point start{seconds(1'700'000'000)};
    const auto end = start + hours(100);
    const RenewalThreshold quarter{2500};
    // 75 h into 100 h: exactly 25% remain, the boundary is due.
    auto check = renewal_check(start, end, start + hours(75), quarter);
    EXPECT_TRUE(check.due);
    EXPECT_EQ(check.remaining_basis_points, 2500);
    // One second earlier it is not.
    check = renewal_check(start, end, start + hours(75) - seconds(1), quarter);
    EXPECT_FALSE(check.due);
    EXPECT_EQ(check.remaining_basis_points, 2500);  // 25.0003% rounds down
    check = renewal_check(start, end, start + hours(10), quarter);
    EXPECT_FALSE(check.due);
    EXPECT_EQ(check.remaining_basis_points, 9000);
    check = renewal_check(start, end, start + hours(99), quarter);
    EXPECT_TRUE(check.due);
    EXPECT_EQ(check.remaining_basis_points, 100);
}

TEST(ClientRenewal, ExpiredNotYetValidAndEmptyLifetimes) {
    const Clock::time_point start{seconds(1'700'000'000)};
    const RenewalThreshold quarter{2500};
    auto check = renewal_check(start, start + hours(1), start + hours(2), quarter);
    EXPECT_TRUE(check.due);
    EXPECT_EQ(check.remaining_basis_points, 0);
    // Before NotBefore more than the whole lifetime remains: clamped, not due.
    check = renewal_check(start, start + hours(1), start - hours(1), quarter);
    EXPECT_FALSE(check.due);
    EXPECT_EQ(check.remaining_basis_points, 10000);
    check = renewal_check(start, start, start - hours(1), quarter);
    EXPECT_TRUE(check.due);
    // 100% renews a certificate whenever it is valid.
    check = renewal_check(start, start + hours(1), start, RenewalThreshold{10000});
    EXPECT_TRUE(check.due);
}

TEST(ClientRenewal, ReadsTheCertificatesValidity) {
    auto key = test::make_ec_key();
    test::CaOptions options;
    options.ca = false;
    options.not_before_offset = -hours(30);
    options.lifetime = hours(40);  // 10 h of 40 h left: 25%
    auto cert = test::make_certificate("device", key.get(), nullptr, key.get(), options);
    const auto now = Clock::now();
    EXPECT_TRUE(renewal_check(cert.get(), now, RenewalThreshold{2600}).due);
    EXPECT_FALSE(renewal_check(cert.get(), now, RenewalThreshold{2400}).due);
}

}  // namespace
}  // namespace estd::client
