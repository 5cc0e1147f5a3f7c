#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "estd/pki/handles.hpp"

namespace estd::pki {

// Base64 in lines of at most 76 characters, each ended by CRLF: deployed EST
// clients fail on one long unwrapped line (RFC 8951 lets senders skip it).
std::string base64_encode_lines(std::span<const std::uint8_t> data);

// Lenient decoder (RFC 8951): CR, LF, space and tab anywhere are ignored.
// nullopt on any other non-alphabet character or bad padding.
std::optional<Bytes> base64_decode_lenient(std::string_view text);

}  // namespace estd::pki
