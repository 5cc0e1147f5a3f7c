#pragma once

// The source-IP failed-Basic limiter (guide, "Authentication modes"): 10
// failed Basic attempts from one source within a sliding hour lock that
// source out until the oldest of them leaves the window, whatever it sends
// meanwhile, the right password included (otherwise a lockout would still
// tell a guesser when a guess was right).
//
// Bounded: at most `max_tracked` sources are remembered. When the table is
// full, room is made by dropping, in this order, sources whose failures
// have all left the window, then the unlocked source whose last failure is
// oldest. A locked source is never dropped before its lockout ends, so
// flooding the table from other addresses cannot unlock it. When every
// tracked source is locked, sources not in the table share one overflow
// record that locks like any other: a guesser with more addresses than the
// table holds still gets at most `max_failures` guesses per window from all
// of them together (docs/security.md, "Authentication").

#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace estd::auth {

class FailedAuthLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    struct Limits {
        std::size_t max_failures = 10;
        Clock::duration window = std::chrono::hours(1);
        std::size_t max_tracked = 50'000;
    };

    FailedAuthLimiter() : FailedAuthLimiter(Limits{}) {}
    explicit FailedAuthLimiter(Limits limits);
    FailedAuthLimiter(const FailedAuthLimiter&) = delete;
    FailedAuthLimiter& operator=(const FailedAuthLimiter&) = delete;

    // How long `source` is still locked out (at least one second), or
    // nullopt when it may try its credentials.
    std::optional<std::chrono::seconds> lockout(std::string_view source, Clock::time_point now);
    // Counts one failed attempt by `source`.
    void record_failure(std::string_view source, Clock::time_point now);

    std::size_t tracked() const;  // sources in the table, the overflow record excluded

  private:
    using LockQueue = std::multimap<Clock::time_point, std::string>;
    using Recency = std::list<std::string>;
    struct Record {
        std::deque<Clock::time_point> failures;  // oldest first, at most max_failures
        bool locked = false;
        Recency::iterator recency;  // valid while unlocked; a locked source is in locks_
    };

    void forget_expired(Clock::time_point now);
    void prune(Record& record, Clock::time_point now) const;
    Record* record_for_new_source(const std::string& source, Clock::time_point now);
    std::optional<std::chrono::seconds> remaining(const Record& record,
                                                  Clock::time_point now) const;

    Limits limits_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Record> records_;
    Recency unlocked_;  // least recently failed first
    LockQueue locks_;   // by the time the lockout ends
    Record overflow_;   // shared by untracked sources while every tracked one is locked
};

}  // namespace estd::auth
