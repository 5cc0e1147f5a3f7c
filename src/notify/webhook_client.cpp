#include "estd/notify/webhook_client.hpp"

#include "estd/core/version.hpp"

namespace estd::notify {
namespace {

constexpr std::size_t kMaxResponseBody = 64 * 1024;

Error failure(const Error& error) {
    return Error{ErrorKind::upstream_failure, {}, "webhook: " + error.message};
}

}  // namespace

Result<https::Url> parse_webhook_url(std::string_view text) {
    auto url = https::parse_url(text);
    if (!url) {
        return Error::internal("the webhook " + url.error().message);
    }
    return url;
}

Result<unsigned> post_json(const https::Url& url, const std::string& body,
                           const std::vector<HttpHeader>& headers,
                           std::chrono::milliseconds timeout) {
    https::ConnectionOptions options;
    options.timeout = timeout;
    options.user_agent = std::string("estd/") + kVersion;
    options.max_response_body = kMaxResponseBody;
    options.keep_alive = false;  // one delivery per connection
    auto connection = https::Connection::open(url, options);
    if (!connection) {
        return failure(connection.error());
    }
    auto answer =
        (*connection)->send(https::Method::post, url.target, "application/json", body, headers);
    if (!answer) {
        return failure(answer.error());
    }
    return answer->status;
}

}  // namespace estd::notify
