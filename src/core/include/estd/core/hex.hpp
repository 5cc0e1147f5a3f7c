#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace estd {

enum class HexCase { lower, upper };

// Two digits per byte, e.g. "01a2"; `separator` between bytes ("01:A2" for
// a fingerprint as OpenSSL prints it).
std::string to_hex(std::span<const std::uint8_t> bytes, HexCase letters = HexCase::lower,
                   std::string_view separator = {});

}  // namespace estd
