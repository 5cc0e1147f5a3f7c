#pragma once

#include <chrono>
#include <string>

namespace estd {

// 2026-11-27T23:53:27.123Z
std::string format_utc_rfc3339(std::chrono::system_clock::time_point time);

}  // namespace estd
