#include "estd/auth/shared_lockout.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace estd::auth {
namespace {

store::TimePoint step_start(store::TimePoint now, std::chrono::seconds step) {
    const auto since_epoch =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
    return store::TimePoint(since_epoch - since_epoch % step);
}

}  // namespace

SharedLockout::SharedLockout(store::SharedFailureCounts& counts, std::string profile,
                             FailedAuthLimiter::Limits limits, std::chrono::seconds step)
    : counts_(counts),
      profile_(std::move(profile)),
      max_failures_(std::max<std::uint64_t>(limits.max_failures, 1)),
      window_(std::chrono::duration_cast<std::chrono::seconds>(limits.window)),
      step_(std::clamp(step, std::chrono::seconds(1), window_)) {
}

std::optional<std::chrono::seconds> SharedLockout::lockout(const std::string& source) const {
    const auto now = std::chrono::system_clock::now();
    auto steps = counts_.failures(profile_, source, now - window_);
    if (!steps) {
        spdlog::warn("shared Basic lockout of {} not read ({}); this estd's own count decides",
                     source, steps.error().message);
        return std::nullopt;
    }
    return lockout_from_steps(*steps, max_failures_, window_, now);
}

void SharedLockout::record_failure(const std::string& source) const {
    const auto now = std::chrono::system_clock::now();
    if (auto added = counts_.add_failure(profile_, source, step_start(now, step_), now - window_);
        !added) {
        spdlog::warn(
            "failed Basic attempt from {} not counted in the database ({}); this "
            "estd's own count has it",
            source, added.error().message);
    }
}

std::optional<std::chrono::seconds> lockout_from_steps(const std::vector<store::CountedStep>& steps,
                                                       std::uint64_t max_failures,
                                                       std::chrono::seconds window,
                                                       store::TimePoint now) {
    std::uint64_t in_window = 0;
    for (const auto& step : steps) {
        in_window += step.count;
    }
    if (in_window < max_failures) {
        return std::nullopt;
    }
    for (const auto& step : steps) {
        in_window -= step.count;
        if (in_window < max_failures) {
            const auto wait = std::chrono::ceil<std::chrono::seconds>(step.start + window - now);
            return std::max(wait, std::chrono::seconds(1));
        }
    }
    return std::chrono::seconds(1);
}

}  // namespace estd::auth
