#include "estd/core/time_format.hpp"

#include <array>
#include <ctime>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace estd {

std::string format_utc_rfc3339(std::chrono::system_clock::time_point time) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds);
    const std::tm utc = fmt::gmtime(std::chrono::system_clock::to_time_t(seconds));
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", utc, millis.count());
}

std::string format_http_date(std::chrono::system_clock::time_point time) {
    // Day and month names are fixed English (RFC 9110 §5.6.7), whatever the locale.
    constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
    const std::tm utc = fmt::gmtime(std::chrono::system_clock::to_time_t(seconds));
    return fmt::format("{}, {:%d} {} {:%Y %H:%M:%S} GMT",
                       kDays.at(static_cast<std::size_t>(utc.tm_wday)), utc,
                       kMonths.at(static_cast<std::size_t>(utc.tm_mon)), utc);
}

}  // namespace estd
