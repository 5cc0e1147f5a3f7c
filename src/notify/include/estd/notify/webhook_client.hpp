#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "estd/core/error.hpp"

namespace estd::notify {

// http://host[:port][/path] or https://host[:port][/path].
struct WebhookUrl {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target = "/";
};

Result<WebhookUrl> parse_webhook_url(std::string_view text);

struct HttpHeader {
    std::string name;
    std::string value;
};

// POSTs `body` as JSON and returns the HTTP status. Every step (resolve,
// connect, TLS handshake, write, read) is bounded by `timeout`; the answer's
// body is read up to 64 KiB and discarded. https verifies the server against
// the system trust store and its host name.
Result<unsigned> post_json(const WebhookUrl& url, const std::string& body,
                           const std::vector<HttpHeader>& headers,
                           std::chrono::milliseconds timeout);

}  // namespace estd::notify
