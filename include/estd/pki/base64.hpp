#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "estd/pki/handles.hpp"

namespace estd::pki {

// Base64 in lines of at most 76 characters, each ended by LF: deployed EST
// clients (openssl base64 -d) fail on one long unwrapped line, and GNU
// base64 -d fails on CR (docs/protocol.md); RFC 8951 allows either.
std::string base64_encode_lines(std::span<const std::uint8_t> data);

// Lenient decoder (RFC 8951): CR, LF, space and tab anywhere are ignored.
// nullopt on any other non-alphabet character or bad padding.
std::optional<Bytes> base64_decode_lenient(std::string_view text);

}  // namespace estd::pki
