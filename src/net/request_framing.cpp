#include "estd/net/request_framing.hpp"

namespace estd::net {

namespace http = boost::beast::http;

std::optional<std::string> ambiguous_framing(const http::request_header<http::fields>& header,
                                             bool chunked) {
    const auto codings = header.count(http::field::transfer_encoding);
    if (codings == 0) {
        return std::nullopt;
    }
    if (header.version() < 11) {
        return "Transfer-Encoding in an HTTP/1.0 request";
    }
    if (header.count(http::field::content_length) != 0) {
        return "both Transfer-Encoding and Content-Length";
    }
    // chunked is the only coding estd decodes; with anything else (or
    // chunked not last) the body length cannot be known (RFC 9112 6.3).
    const http::token_list list{header[http::field::transfer_encoding]};
    const auto count = static_cast<std::size_t>(std::distance(list.begin(), list.end()));
    if (codings != 1 || !chunked || count != 1) {
        return "Transfer-Encoding other than exactly \"chunked\"";
    }
    return std::nullopt;
}

}  // namespace estd::net
