#include "estd/auth/shared_limit.hpp"

#include <algorithm>
#include <string>

#include <spdlog/spdlog.h>

namespace estd::auth {
namespace {

store::TimePoint step_start(store::TimePoint now, std::chrono::seconds step) {
    const auto since_epoch =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
    return store::TimePoint(since_epoch - since_epoch % step);
}

// What is counted under `key`, for logs: a principal key's NUL between CN
// and address is not printed.
std::string counted_what(store::CountedEvent event, const std::string& key) {
    if (event == store::CountedEvent::failed_basic) {
        return "failed Basic attempts from " + key;
    }
    const auto split = key.rfind('\0');
    return split == std::string::npos
               ? "enrollments of " + key
               : "enrollments of CN \"" + key.substr(0, split) + "\" from " + key.substr(split + 1);
}

}  // namespace

SharedLimit::SharedLimit(store::SharedCounts& counts, store::CountedEvent event,
                         std::string profile, std::uint64_t max, std::chrono::seconds window,
                         std::chrono::seconds step)
    : counts_(counts),
      event_(event),
      profile_(std::move(profile)),
      max_(std::max<std::uint64_t>(max, 1)),
      window_(window),
      step_(std::clamp(step, std::chrono::seconds(1), window_)) {
}

std::optional<std::chrono::seconds> SharedLimit::wait(const std::string& key) const {
    const auto now = std::chrono::system_clock::now();
    auto steps = counts_.counted(event_, profile_, key, now - window_);
    if (!steps) {
        spdlog::warn("shared count of {} not read ({}); this estd's own count decides",
                     counted_what(event_, key), steps.error().message);
        return std::nullopt;
    }
    return wait_from_steps(*steps, max_, window_, now);
}

void SharedLimit::count(const std::string& key) const {
    const auto now = std::chrono::system_clock::now();
    if (auto added = counts_.count(event_, profile_, key, step_start(now, step_), now - window_);
        !added) {
        spdlog::warn("one of the {} not counted in the database ({}); this estd's own count has it",
                     counted_what(event_, key), added.error().message);
    }
}

std::optional<std::chrono::seconds> wait_from_steps(const std::vector<store::CountedStep>& steps,
                                                    std::uint64_t max, std::chrono::seconds window,
                                                    store::TimePoint now) {
    std::uint64_t in_window = 0;
    for (const auto& step : steps) {
        in_window += step.count;
    }
    if (in_window < max) {
        return std::nullopt;
    }
    for (const auto& step : steps) {
        in_window -= step.count;
        if (in_window < max) {
            const auto wait = std::chrono::ceil<std::chrono::seconds>(step.start + window - now);
            return std::max(wait, std::chrono::seconds(1));
        }
    }
    return std::chrono::seconds(1);
}

}  // namespace estd::auth
