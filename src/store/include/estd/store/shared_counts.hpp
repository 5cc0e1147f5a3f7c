#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/store/time_point.hpp"

namespace estd::store {

// One step of a count kept in a database: the events from `start` to the
// next step's start.
struct CountedStep {
    TimePoint start;
    std::uint64_t count = 0;
};

// What a count shared between estd counts, per EST profile and key.
enum class CountedEvent {
    failed_basic,          // failed Basic attempts; key: the source address
    principal_enrollment,  // admitted enrollments; key: auth::principal_key (CN, address)
};

// Counts kept in a database that several estd share, so a limit reached on
// one holds on all (docs/security.md, "The failed-Basic limiter" and
// "Per-principal rate limit"). Counted in steps: a key has at most one row
// per step of the window, and rows older than the window are deleted.
class SharedCounts {
  public:
    virtual ~SharedCounts() = default;
    // The `event`s of `key` on EST profile `profile` in steps that started
    // after `since`, oldest first.
    virtual Result<std::vector<CountedStep>> counted(CountedEvent event, const std::string& profile,
                                                     const std::string& key, TimePoint since) = 0;
    // Counts one `event` in the step that starts at `step`; rows of steps
    // that started before `expired` may be deleted on the way.
    virtual Status count(CountedEvent event, const std::string& profile, const std::string& key,
                         TimePoint step, TimePoint expired) = 0;
};

}  // namespace estd::store
