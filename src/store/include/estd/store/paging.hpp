#pragma once

#include <cstddef>

namespace estd::store {

// Every listing is bounded: a caller asking for more gets kMaxPageSize.
inline constexpr std::size_t kDefaultPageSize = 50;
inline constexpr std::size_t kMaxPageSize = 500;

}  // namespace estd::store
