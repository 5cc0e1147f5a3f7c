#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "estd/pki/handles.hpp"

namespace estd::pki {

// Base64 in lines of at most 76 characters, each ended by LF: deployed EST
// clients (openssl base64 -d, libest) fail on one long unwrapped line, and
// GNU base64 -d fails on CR (docs/protocol.md); RFC 8951 allows either.
std::string base64_encode_lines(std::span<const std::uint8_t> data);

// Base64 as RFC 4648 defines it: one line, no line break and no final
// newline (strongSwan's EST client takes nothing else).
std::string base64_encode_single_line(std::span<const std::uint8_t> data);

// How an encoded answer is laid out.
enum class Base64Layout { wrapped, single_line };
std::string base64_encode(std::span<const std::uint8_t> data, Base64Layout layout);

// Lenient decoder (RFC 8951): CR, LF, space and tab anywhere are ignored.
// nullopt on any other non-alphabet character or bad padding.
std::optional<Bytes> base64_decode_lenient(std::string_view text);

}  // namespace estd::pki
