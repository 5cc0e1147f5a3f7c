#include "estd/auth/principal_rate_limiter.hpp"

#include <algorithm>

namespace estd::auth {

PrincipalRateLimiter::PrincipalRateLimiter(Limits limits) : limits_(limits) {
    limits_.max_per_window = std::max<std::uint64_t>(limits_.max_per_window, 1);
    limits_.steps = std::max<std::size_t>(limits_.steps, 1);
    limits_.max_tracked = std::max<std::size_t>(limits_.max_tracked, 1);
    step_length_ = limits_.window / static_cast<long>(limits_.steps);
}

void PrincipalRateLimiter::prune(Record& record, Clock::time_point now) const {
    while (!record.steps.empty() && record.steps.front().start + limits_.window <= now) {
        record.steps.pop_front();
    }
}

// The principal's newest step starts after all others, and recency_ is in
// admission order, so the front is the first to run out of window.
void PrincipalRateLimiter::forget_expired(Clock::time_point now) {
    while (!recency_.empty()) {
        const auto found = records_.find(recency_.front());
        if (found != records_.end() && !found->second.steps.empty() &&
            found->second.steps.back().start + limits_.window > now) {
            break;
        }
        if (found != records_.end()) {
            records_.erase(found);
        }
        recency_.pop_front();
    }
}

std::chrono::seconds PrincipalRateLimiter::wait_until_admitted(const Record& record,
                                                               Clock::time_point now) const {
    std::uint64_t in_window = 0;
    for (const auto& step : record.steps) {
        in_window += step.count;
    }
    // Steps leave the window oldest first; the one whose departure brings
    // the count under the limit is when the next enrollment is admitted.
    for (const auto& step : record.steps) {
        in_window -= step.count;
        if (in_window < limits_.max_per_window) {
            const auto wait =
                std::chrono::ceil<std::chrono::seconds>(step.start + limits_.window - now);
            return std::max(wait, std::chrono::seconds(1));
        }
    }
    return std::chrono::seconds(1);
}

std::optional<std::chrono::seconds> PrincipalRateLimiter::try_acquire(std::string_view principal,
                                                                      Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    forget_expired(now);
    const std::string key(principal);
    auto found = records_.find(key);
    if (found == records_.end()) {
        if (records_.size() >= limits_.max_tracked && !recency_.empty()) {
            records_.erase(recency_.front());
            recency_.pop_front();
        }
        found = records_.try_emplace(key).first;
        recency_.push_back(key);
        found->second.recency = std::prev(recency_.end());
    }
    Record& record = found->second;
    prune(record, now);
    std::uint64_t in_window = 0;
    for (const auto& step : record.steps) {
        in_window += step.count;
    }
    if (in_window >= limits_.max_per_window) {
        return wait_until_admitted(record, now);
    }
    if (!record.steps.empty() && now - record.steps.back().start < step_length_) {
        ++record.steps.back().count;
    } else {
        record.steps.push_back({now, 1});
    }
    recency_.splice(recency_.end(), recency_, record.recency);
    return std::nullopt;
}

std::size_t PrincipalRateLimiter::tracked() const {
    const std::lock_guard lock(mutex_);
    return records_.size();
}

std::string principal_key(std::string_view common_name, std::string_view client_address) {
    // An address never holds a NUL, so the key splits unambiguously at its
    // last NUL whatever the CN contains.
    std::string key(common_name);
    key.push_back('\0');
    key.append(client_address);
    return key;
}

}  // namespace estd::auth
