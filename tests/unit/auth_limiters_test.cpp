// The failed-Basic source limiter and the per-principal rate limiter, on an
// injected clock.
#include <string>

#include <gtest/gtest.h>

#include "estd/auth/failed_auth_limiter.hpp"
#include "estd/auth/principal_rate_limiter.hpp"
#include "estd/auth/shared_limit.hpp"

namespace estd::auth {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

void fail_times(FailedAuthLimiter& limiter, const std::string& source, int times,
                Clock::time_point at) {
    for (int i = 0; i < times; ++i) {
        limiter.record_failure(source, at);
    }
}

TEST(FailedAuthLimiterTest, TenFailuresInAnHourLockTheSourceOut) {
    FailedAuthLimiter limiter;
    for (int i = 0; i < 9; ++i) {
        EXPECT_FALSE(limiter.lockout("192.0.2.1", t0 + i * 1min));
        limiter.record_failure("192.0.2.1", t0 + i * 1min);
    }
    EXPECT_FALSE(limiter.lockout("192.0.2.1", t0 + 9min)) << "nine failures are allowed";
    limiter.record_failure("192.0.2.1", t0 + 9min);

    // Locked until the first failure leaves the hour: 51 minutes from now.
    const auto wait = limiter.lockout("192.0.2.1", t0 + 9min);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, 51min);
    EXPECT_TRUE(limiter.lockout("192.0.2.1", t0 + 59min + 59s));
    // Another source is not affected.
    EXPECT_FALSE(limiter.lockout("192.0.2.2", t0 + 10min));
}

TEST(FailedAuthLimiterTest, TheWindowSlides) {
    FailedAuthLimiter limiter;
    for (int i = 0; i < 10; ++i) {
        limiter.record_failure("192.0.2.1", t0 + i * 5min);  // t0 .. t0+45m
    }
    EXPECT_TRUE(limiter.lockout("192.0.2.1", t0 + 59min));
    // At t0+60m the first failure leaves the window: nine remain, one try.
    EXPECT_FALSE(limiter.lockout("192.0.2.1", t0 + 60min));
    limiter.record_failure("192.0.2.1", t0 + 60min);
    const auto wait = limiter.lockout("192.0.2.1", t0 + 60min);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, 5min);  // until the t0+5m failure leaves
    // Failures spread thinner than 10 an hour never lock.
    FailedAuthLimiter slow;
    for (int i = 0; i < 100; ++i) {
        EXPECT_FALSE(slow.lockout("198.51.100.1", t0 + i * 7min));
        slow.record_failure("198.51.100.1", t0 + i * 7min);
    }
}

TEST(FailedAuthLimiterTest, ForgetsSourcesWhoseFailuresLeftTheWindow) {
    FailedAuthLimiter limiter;
    fail_times(limiter, "192.0.2.1", 3, t0);
    fail_times(limiter, "192.0.2.2", 10, t0);
    EXPECT_EQ(limiter.tracked(), 2u);
    EXPECT_FALSE(limiter.lockout("192.0.2.3", t0 + 61min));
    EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(FailedAuthLimiterTest, AFullTableNeverEvictsALockedSource) {
    FailedAuthLimiter::Limits limits;
    limits.max_tracked = 4;
    FailedAuthLimiter limiter(limits);
    fail_times(limiter, "attacker", 10, t0);
    ASSERT_TRUE(limiter.lockout("attacker", t0));

    // The attacker floods the table from other addresses, one failure each.
    for (int i = 0; i < 1000; ++i) {
        limiter.record_failure("flood-" + std::to_string(i), t0 + 1s);
        EXPECT_LE(limiter.tracked(), 4u);
    }
    EXPECT_TRUE(limiter.lockout("attacker", t0 + 2s)) << "flooding must not unlock";
    EXPECT_TRUE(limiter.lockout("attacker", t0 + 59min));
    EXPECT_FALSE(limiter.lockout("attacker", t0 + 60min));
}

TEST(FailedAuthLimiterTest, UnlockedSourcesAreEvictedLeastRecentlyFailedFirst) {
    FailedAuthLimiter::Limits limits;
    limits.max_tracked = 2;
    FailedAuthLimiter limiter(limits);
    fail_times(limiter, "a", 9, t0);
    fail_times(limiter, "b", 9, t0 + 1s);
    limiter.record_failure("a", t0 + 2s);  // a locks: 10 failures
    ASSERT_TRUE(limiter.lockout("a", t0 + 2s));
    limiter.record_failure("c", t0 + 3s);  // evicts b, the only unlocked one
    EXPECT_EQ(limiter.tracked(), 2u);
    EXPECT_TRUE(limiter.lockout("a", t0 + 3s));
    // b starts over (at most one extra guess per failure made elsewhere).
    limiter.record_failure("b", t0 + 4s);  // evicts c
    EXPECT_FALSE(limiter.lockout("b", t0 + 4s));
}

TEST(FailedAuthLimiterTest, WhenEveryTrackedSourceIsLockedNewSourcesShareOneRecord) {
    FailedAuthLimiter::Limits limits;
    limits.max_tracked = 2;
    FailedAuthLimiter limiter(limits);
    fail_times(limiter, "a", 10, t0);
    fail_times(limiter, "b", 10, t0);
    ASSERT_EQ(limiter.tracked(), 2u);

    // Ten failures from ten fresh addresses lock every untracked address.
    for (int i = 0; i < 10; ++i) {
        const std::string fresh = "fresh-" + std::to_string(i);
        EXPECT_FALSE(limiter.lockout(fresh, t0 + 1s));
        limiter.record_failure(fresh, t0 + 1s);
    }
    EXPECT_TRUE(limiter.lockout("never-seen", t0 + 2s));
    EXPECT_TRUE(limiter.lockout("a", t0 + 2s));
    EXPECT_EQ(limiter.tracked(), 2u);
    // Everything ends with the window.
    EXPECT_FALSE(limiter.lockout("never-seen", t0 + 61min));
    EXPECT_FALSE(limiter.lockout("a", t0 + 61min));
}

TEST(SharedLimitTest, StepsFromTheDatabaseHoldUntilEnoughOfThemLeaveTheWindow) {
    const auto now = std::chrono::system_clock::now();
    const std::vector<store::CountedStep> nine = {{now - 50min, 4}, {now - 10min, 5}};
    EXPECT_FALSE(wait_from_steps(nine, 10, 1h, now));
    const std::vector<store::CountedStep> ten = {{now - 50min, 4}, {now - 10min, 6}};
    // Locked until the older step leaves: 6 left, under 10.
    EXPECT_EQ(wait_from_steps(ten, 10, 1h, now), std::chrono::seconds(600));
    const std::vector<store::CountedStep> many = {{now - 50min, 4}, {now - 10min, 16}};
    // Even without the older step, 16 stay: until the newer one leaves.
    EXPECT_EQ(wait_from_steps(many, 10, 1h, now), std::chrono::seconds(3000));
    const std::vector<store::CountedStep> leaving = {{now - 1h + 100ms, 10}};
    EXPECT_EQ(wait_from_steps(leaving, 10, 1h, now), std::chrono::seconds(1));
}

TEST(PrincipalRateLimiterTest, TheFourthEnrollmentInADayIsRefused) {
    PrincipalRateLimiter limiter({3});
    const auto dev1 = principal_key("device-1", "192.0.2.1");
    EXPECT_FALSE(limiter.try_acquire(dev1, t0));
    EXPECT_FALSE(limiter.try_acquire(dev1, t0 + 1h));
    EXPECT_FALSE(limiter.try_acquire(dev1, t0 + 2h));
    const auto wait = limiter.try_acquire(dev1, t0 + 3h);
    ASSERT_TRUE(wait);
    // The first enrollment leaves the window 24h after it was made.
    EXPECT_EQ(*wait, 21h);
    // Another CN from the same address, and the same CN from another
    // address, are other principals.
    EXPECT_FALSE(limiter.try_acquire(principal_key("device-2", "192.0.2.1"), t0 + 3h));
    EXPECT_FALSE(limiter.try_acquire(principal_key("device-1", "192.0.2.2"), t0 + 3h));
}

TEST(PrincipalRateLimiterTest, RefusedAttemptsAreNotCountedAndTheWindowSlides) {
    PrincipalRateLimiter limiter({3});
    const auto key = principal_key("device-1", "192.0.2.1");
    for (int i = 0; i < 3; ++i) {
        ASSERT_FALSE(limiter.try_acquire(key, t0 + i * 1h));
    }
    for (int i = 0; i < 50; ++i) {
        EXPECT_TRUE(limiter.try_acquire(key, t0 + 4h + i * 1min));
    }
    EXPECT_FALSE(limiter.try_acquire(key, t0 + 24h)) << "the t0 enrollment left the window";
    EXPECT_TRUE(limiter.try_acquire(key, t0 + 24h + 1min));
    EXPECT_FALSE(limiter.try_acquire(key, t0 + 25h));
}

TEST(PrincipalRateLimiterTest, EnrollmentsInOneStepShareACounter) {
    PrincipalRateLimiter limiter({1000});
    const auto key = principal_key("busy", "192.0.2.1");
    // 999 enrollments spread over a day: counted in at most 49 steps, and
    // all of them still in the window.
    for (int i = 0; i < 999; ++i) {
        ASSERT_FALSE(limiter.try_acquire(key, t0 + i * 86s));
    }
    EXPECT_FALSE(limiter.try_acquire(key, t0 + 23h + 59min));
    const auto wait = limiter.try_acquire(key, t0 + 23h + 59min);
    ASSERT_TRUE(wait);
    EXPECT_GT(*wait, 0s);
    EXPECT_LE(*wait, 30min);  // the oldest step leaves within its 30 minutes
}

TEST(PrincipalRateLimiterTest, TheTableIsBounded) {
    PrincipalRateLimiter::Limits limits;
    limits.max_per_window = 1;
    limits.max_tracked = 100;
    PrincipalRateLimiter limiter(limits);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_FALSE(
            limiter.try_acquire(principal_key("cn-" + std::to_string(i), "192.0.2.1"), t0));
        EXPECT_LE(limiter.tracked(), 100u);
    }
    EXPECT_FALSE(limiter.try_acquire("other", t0 + 25h));
    EXPECT_EQ(limiter.tracked(), 1u) << "expired principals are dropped";
}

TEST(PrincipalRateLimiterTest, PrincipalKeysDoNotCollide) {
    EXPECT_NE(principal_key("a|b", "c"), principal_key("a", "b|c"));
    EXPECT_NE(principal_key("", "192.0.2.1"), principal_key("192.0.2.1", ""));
}

}  // namespace
}  // namespace estd::auth
