#pragma once

#include <chrono>

namespace estd::store {

using TimePoint = std::chrono::system_clock::time_point;

}  // namespace estd::store
