#pragma once

#include <cstdint>
#include <span>

namespace estd::auth {

// Byte strings whose length is public (channel bindings are 32 bytes from
// the exporter, or the Finished length): false at once on a length
// difference, otherwise a comparison whose time does not depend on where
// the bytes differ (CRYPTO_memcmp).
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace estd::auth
