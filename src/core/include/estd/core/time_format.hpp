#pragma once

#include <chrono>
#include <string>

namespace estd {

// 2026-11-27T23:53:27.123Z
std::string format_utc_rfc3339(std::chrono::system_clock::time_point time);

// The HTTP date of RFC 9110 §5.6.7 (IMF-fixdate): Sun, 06 Nov 1994 08:49:37 GMT
std::string format_http_date(std::chrono::system_clock::time_point time);

}  // namespace estd
