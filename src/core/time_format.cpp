#include "estd/core/time_format.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace estd {

std::string format_utc_rfc3339(std::chrono::system_clock::time_point time) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds);
    const std::tm utc = fmt::gmtime(std::chrono::system_clock::to_time_t(seconds));
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", utc, millis.count());
}

}  // namespace estd
