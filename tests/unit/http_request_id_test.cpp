#include <bit>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "estd/http/request_id.hpp"

namespace estd::http {
namespace {

TEST(HttpRequestIdTest, IsSixteenLowercaseHexDigits) {
    const std::string id = new_request_id();
    ASSERT_EQ(id.size(), 16U);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
}

TEST(HttpRequestIdTest, IdsFromManyThreadsDoNotRepeat) {
    constexpr int kThreads = 4;
    constexpr int kEach = 25000;
    std::mutex mutex;
    std::set<std::string> seen;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            std::vector<std::string> mine;
            mine.reserve(kEach);
            for (int i = 0; i < kEach; ++i) {
                mine.push_back(new_request_id());
            }
            const std::lock_guard lock(mutex);
            seen.insert(mine.begin(), mine.end());
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kEach));
}

// Consecutive ids must not count the server's requests: about half their
// bits differ, never a small step.
TEST(HttpRequestIdTest, ConsecutiveIdsLookUnrelated) {
    std::uint64_t previous = std::stoull(new_request_id(), nullptr, 16);
    int differing_bits = 0;
    constexpr int kPairs = 1000;
    for (int i = 0; i < kPairs; ++i) {
        const std::uint64_t next = std::stoull(new_request_id(), nullptr, 16);
        const std::uint64_t step = next > previous ? next - previous : previous - next;
        EXPECT_GT(step, 1U << 20);
        differing_bits += std::popcount(next ^ previous);
        previous = next;
    }
    EXPECT_NEAR(differing_bits / static_cast<double>(kPairs), 32.0, 2.0);
}

}  // namespace
}  // namespace estd::http
