#pragma once

#include <span>
#include <string>
#include <string_view>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::client {

// Base64 on one line (HTTP headers, challengePassword).
std::string base64_one_line(std::span<const std::uint8_t> data);

// A PEM block with 64-column lines, e.g. label "CERTIFICATE REQUEST".
std::string pem_encode(std::string_view label, std::span<const std::uint8_t> der);

// The DER inside the first PEM block with `label`; an input error otherwise.
Result<pki::Bytes> pem_decode(std::string_view text, std::string_view label);

// An EST payload as DER, read as leniently as RFC 8951 asks: base64 with
// any line breaks, a PEM block, or raw DER. `what` names it in errors.
Result<pki::Bytes> decode_payload(std::string_view body, std::string_view what);

}  // namespace estd::client
