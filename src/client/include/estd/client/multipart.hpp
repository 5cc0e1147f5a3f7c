#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/https/connection.hpp"

namespace estd::client {

// A MIME Content-Type: lower-cased type/subtype and parameters (names
// lower-cased, values unquoted, case kept).
struct ContentType {
    std::string media_type;
    std::map<std::string, std::string> parameters;

    std::string parameter(const std::string& name) const;
};

ContentType parse_content_type(std::string_view value);

struct MimePart {
    std::vector<https::HttpHeader> headers;
    std::string body;

    std::string header(std::string_view name) const;  // case-insensitive; empty when absent
};

// The body parts of a multipart entity (RFC 2046 §5.1.1): preamble and
// epilogue dropped, CRLF or bare LF line ends, folded header lines joined.
// Refuses a Content-Type without boundary and a body without the closing
// delimiter (a truncated answer).
Result<std::vector<MimePart>> parse_multipart(std::string_view content_type, std::string_view body);

}  // namespace estd::client
