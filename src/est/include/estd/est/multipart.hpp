#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace estd::est {

// One body part of a multipart/mixed answer: its Content-Type and its
// base64 text. Every part gets exactly two headers, Content-Type and
// Content-Transfer-Encoding: base64 — strict EST clients accept nothing else.
struct MimePart {
    std::string content_type;
    const std::string* base64 = nullptr;  // borrowed: key material stays in one buffer
};

inline constexpr std::string_view kMultipartBoundary = "estd-serverkeygen-boundary";

// "multipart/mixed; boundary=estd-serverkeygen-boundary"
std::string multipart_content_type();

// RFC 2046 §5.1 with CRLF delimiters:
//   --B CRLF Content-Type: ... CRLF Content-Transfer-Encoding: base64 CRLF CRLF
//   <base64 lines> CRLF --B ... CRLF --B-- CRLF
// The boundary holds '-', which base64 never does, so it cannot occur in a
// part. The result is allocated once at its final size, so no reallocation
// leaves a stray copy of a key part behind.
std::string multipart_mixed(const std::vector<MimePart>& parts);

}  // namespace estd::est
