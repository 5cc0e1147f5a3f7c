#pragma once

#include <string>
#include <string_view>

#include "estd/core/error.hpp"

namespace estd::https {

// http[s]://host[:port][/path][?query], as a connection needs it.
struct Url {
    bool tls = true;           // https
    std::string host;          // without IPv6 brackets
    std::string port = "443";  // the scheme's default when the URL names none
    std::string target = "/";  // path and query, as sent in the request line
    bool host_is_ip = false;

    // host[:port] as it goes into the Host header: IPv6 bracketed, the
    // scheme's default port left out (RFC 9110 §7.2, §4.2).
    std::string authority() const;
};

// Refuses what would not reach the host it names or would break the request
// line: another scheme, credentials, an unbracketed IPv6 address, a port
// outside 1-65535, whitespace. A fragment stays in `target` for the caller
// to refuse. Messages start with "URL" so the caller can say whose it is.
Result<Url> parse_url(std::string_view text);

}  // namespace estd::https
