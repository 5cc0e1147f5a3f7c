#include "estd/auth/failed_auth_limiter.hpp"

#include <algorithm>

namespace estd::auth {

FailedAuthLimiter::FailedAuthLimiter(Limits limits) : limits_(limits) {
    limits_.max_failures = std::max<std::size_t>(limits_.max_failures, 1);
    limits_.max_tracked = std::max<std::size_t>(limits_.max_tracked, 1);
}

void FailedAuthLimiter::prune(Record& record, Clock::time_point now) const {
    while (!record.failures.empty() && record.failures.front() + limits_.window <= now) {
        record.failures.pop_front();
    }
}

std::optional<std::chrono::seconds> FailedAuthLimiter::remaining(const Record& record,
                                                                 Clock::time_point now) const {
    if (record.failures.size() < limits_.max_failures) {
        return std::nullopt;
    }
    const auto ends = record.failures.front() + limits_.window;
    if (ends <= now) {
        return std::nullopt;
    }
    return std::max(std::chrono::ceil<std::chrono::seconds>(ends - now), std::chrono::seconds(1));
}

// Ends the lockouts that are over and drops sources with no failure left in
// the window. Amortised O(1) per call: each source enters and leaves each
// queue once per failure.
void FailedAuthLimiter::forget_expired(Clock::time_point now) {
    while (!locks_.empty() && locks_.begin()->first <= now) {
        const auto found = records_.find(locks_.begin()->second);
        locks_.erase(locks_.begin());
        if (found == records_.end()) {
            continue;
        }
        Record& record = found->second;
        record.locked = false;
        prune(record, now);
        if (record.failures.empty()) {
            records_.erase(found);
            continue;
        }
        unlocked_.push_back(found->first);
        record.recency = std::prev(unlocked_.end());
    }
    while (!unlocked_.empty()) {
        const auto found = records_.find(unlocked_.front());
        if (found != records_.end() && !found->second.failures.empty() &&
            found->second.failures.back() + limits_.window > now) {
            break;  // the least recently failed source is still in its window
        }
        if (found != records_.end()) {
            records_.erase(found);
        }
        unlocked_.pop_front();
    }
}

FailedAuthLimiter::Record* FailedAuthLimiter::record_for_new_source(const std::string& source,
                                                                    Clock::time_point /*now*/) {
    if (records_.size() >= limits_.max_tracked) {
        if (unlocked_.empty()) {
            return &overflow_;  // never evict a locked source
        }
        records_.erase(unlocked_.front());
        unlocked_.pop_front();
    }
    auto [inserted, added] = records_.try_emplace(source);
    unlocked_.push_back(source);
    inserted->second.recency = std::prev(unlocked_.end());
    return &inserted->second;
}

std::optional<std::chrono::seconds> FailedAuthLimiter::lockout(std::string_view source,
                                                               Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    forget_expired(now);
    const auto found = records_.find(std::string(source));
    if (found != records_.end()) {
        return found->second.locked ? remaining(found->second, now) : std::nullopt;
    }
    if (records_.size() >= limits_.max_tracked && unlocked_.empty()) {
        prune(overflow_, now);
        return remaining(overflow_, now);
    }
    return std::nullopt;
}

void FailedAuthLimiter::record_failure(std::string_view source, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    forget_expired(now);
    const std::string key(source);
    const auto found = records_.find(key);
    Record* record = found != records_.end() ? &found->second : record_for_new_source(key, now);
    if (record->locked) {
        return;  // a request that raced the lockout: the source is locked already
    }
    prune(*record, now);
    record->failures.push_back(now);
    while (record->failures.size() > limits_.max_failures) {
        record->failures.pop_front();
    }
    if (record == &overflow_) {
        return;  // the overflow record is in no queue; lockout() prunes it
    }
    if (record->failures.size() >= limits_.max_failures) {
        unlocked_.erase(record->recency);
        record->locked = true;
        locks_.emplace(record->failures.front() + limits_.window, key);
        return;
    }
    unlocked_.splice(unlocked_.end(), unlocked_, record->recency);
}

std::size_t FailedAuthLimiter::tracked() const {
    const std::lock_guard lock(mutex_);
    return records_.size();
}

}  // namespace estd::auth
