#include "estd/notify/webhook_client.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include "estd/core/version.hpp"

namespace estd::notify {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxResponseBody = 64 * 1024;

Error failure(const std::string& what, const beast::error_code& ec) {
    return Error{ErrorKind::upstream_failure, {}, "webhook: " + what + ": " + ec.message()};
}

// Runs the io_context until the pending operation completes; the stream's
// expiry (or run_for for the resolver) bounds it.
void complete(asio::io_context& ioc, std::chrono::milliseconds timeout) {
    ioc.restart();
    ioc.run_for(timeout);
}

template <class Stream>
Result<unsigned> exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& socket,
                          http::request<http::string_body>& request,
                          std::chrono::milliseconds timeout) {
    beast::error_code ec = asio::error::timed_out;
    socket.expires_after(timeout);
    http::async_write(stream, request, [&](beast::error_code e, std::size_t) { ec = e; });
    complete(ioc, timeout * 2);
    if (ec) {
        return failure("sending", ec);
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    ec = asio::error::timed_out;
    socket.expires_after(timeout);
    http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    complete(ioc, timeout * 2);
    if (ec) {
        return failure("reading the answer", ec);
    }
    return parser.get().result_int();
}

}  // namespace

Result<WebhookUrl> parse_webhook_url(std::string_view text) {
    WebhookUrl url;
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view rest;
    if (lower.rfind("https://", 0) == 0) {
        url.tls = true;
        rest = text.substr(8);
    } else if (lower.rfind("http://", 0) == 0) {
        rest = text.substr(7);
    } else {
        return Error::internal("the webhook URL must start with http:// or https://");
    }
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        url.target = std::string(rest.substr(slash));
    }
    url.port = url.tls ? "443" : "80";
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return Error::internal("the webhook URL has an unclosed IPv6 bracket");
        }
        url.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() == ':') {
            url.port = std::string(authority.substr(1));
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            url.port = std::string(authority.substr(colon + 1));
        }
    }
    if (url.host.empty() || url.port.empty() ||
        url.port.find_first_not_of("0123456789") != std::string::npos) {
        return Error::internal("the webhook URL needs a host and a numeric port");
    }
    return url;
}

Result<unsigned> post_json(const WebhookUrl& url, const std::string& body,
                           const std::vector<HttpHeader>& headers,
                           std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    beast::error_code ec = asio::error::timed_out;
    resolver.async_resolve(url.host, url.port,
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                               ec = e;
                               endpoints = std::move(r);
                           });
    complete(ioc, timeout);
    if (ec) {
        resolver.cancel();
        return failure("resolving " + url.host, ec);
    }

    http::request<http::string_body> request{http::verb::post, url.target, 11};
    request.set(http::field::host, url.host + ":" + url.port);
    request.set(http::field::user_agent, std::string("estd/") + kVersion);
    request.set(http::field::content_type, "application/json");
    for (const auto& header : headers) {
        request.set(header.name, header.value);
    }
    request.body() = body;
    request.keep_alive(false);
    request.prepare_payload();

    asio::ssl::context ctx(asio::ssl::context::tls_client);
    if (url.tls) {
        // Before the stream exists: SSL_new copies the verify mode.
        ctx.set_default_verify_paths();
        ctx.set_verify_mode(asio::ssl::verify_peer);
    }
    beast::ssl_stream<beast::tcp_stream> tls_stream(ioc, ctx);
    beast::tcp_stream& socket = beast::get_lowest_layer(tls_stream);
    ec = asio::error::timed_out;
    socket.expires_after(timeout);
    socket.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    complete(ioc, timeout * 2);
    if (ec) {
        return failure("connecting to " + url.host + ":" + url.port, ec);
    }
    if (!url.tls) {
        return exchange(ioc, socket, socket, request, timeout);
    }
    SSL_set_tlsext_host_name(tls_stream.native_handle(), url.host.c_str());
    SSL_set1_host(tls_stream.native_handle(), url.host.c_str());
    SSL_set_verify(tls_stream.native_handle(), SSL_VERIFY_PEER, nullptr);
    ec = asio::error::timed_out;
    socket.expires_after(timeout);
    tls_stream.async_handshake(asio::ssl::stream_base::client,
                               [&](beast::error_code e) { ec = e; });
    complete(ioc, timeout * 2);
    if (ec) {
        return failure("TLS handshake with " + url.host, ec);
    }
    return exchange(ioc, tls_stream, socket, request, timeout);
}

}  // namespace estd::notify
