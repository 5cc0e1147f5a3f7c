#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/https/connection.hpp"
#include "estd/https/url.hpp"

namespace estd::notify {

using https::HttpHeader;

// http://host[:port][/path] or https://host[:port][/path].
Result<https::Url> parse_webhook_url(std::string_view text);

// POSTs `body` as JSON and returns the HTTP status. Every step (resolve,
// connect, TLS handshake, write, read) is bounded by `timeout`; the answer's
// body is read up to 64 KiB and discarded. https verifies the server against
// the system trust store and its host name.
Result<unsigned> post_json(const https::Url& url, const std::string& body,
                           const std::vector<HttpHeader>& headers,
                           std::chrono::milliseconds timeout);

}  // namespace estd::notify
