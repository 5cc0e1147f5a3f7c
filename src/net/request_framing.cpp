#include "estd/net/request_framing.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

namespace estd::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

// RFC 3986 uri-host (reg-name, IPv4, IP-literal) and ":" port.
bool valid_host(std::string_view host) {
    return std::all_of(host.begin(), host.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
               std::string_view("-._~%!$&'()*+,;=:[]").find(c) != std::string_view::npos;
    });
}

}  // namespace

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
    // Parameters ("chunked;q=1") are refused too: chunked has none, and a
    // front end may not read it as chunked.
    if (codings != 1 || !chunked ||
        !beast::iequals(header[http::field::transfer_encoding], "chunked")) {
        return "Transfer-Encoding other than exactly \"chunked\"";
    }
    return std::nullopt;
}

std::optional<std::string> invalid_fields(const http::request_header<http::fields>& header) {
    const auto hosts = header.count(http::field::host);
    if (hosts == 0 && header.version() >= 11) {
        return "Host missing (required since HTTP/1.1)";
    }
    if (hosts > 1) {
        return "more than one Host field";
    }
    if (hosts == 1 && !valid_host(header[http::field::host])) {
        return "a Host that is not host[:port]";
    }
    if (header.count(http::field::authorization) > 1) {
        return "more than one Authorization field";
    }
    return std::nullopt;
}

std::optional<std::size_t> find_header_end(std::string_view buffered, std::size_t& scanned) {
    constexpr std::string_view kBlankLine = "\r\n\r\n";
    // The blank line may straddle what was scanned and what is new.
    const auto from = scanned > kBlankLine.size() - 1 ? scanned - (kBlankLine.size() - 1) : 0;
    const auto at = buffered.find(kBlankLine, from);
    if (at == std::string_view::npos) {
        scanned = buffered.size();
        return std::nullopt;
    }
    return at + kBlankLine.size();
}

bool has_obsolete_fold(std::string_view header) {
    for (auto at = header.find("\r\n"); at != std::string_view::npos;
         at = header.find("\r\n", at + 2)) {
        if (at + 2 < header.size() && (header[at + 2] == ' ' || header[at + 2] == '\t')) {
            return true;
        }
    }
    return false;
}

std::size_t header_field_count(std::string_view header) {
    std::size_t lines = 0;
    for (auto at = header.find("\r\n"); at != std::string_view::npos;
         at = header.find("\r\n", at + 2)) {
        ++lines;
    }
    // Neither the start line nor the blank line is a field.
    return lines >= 2 ? lines - 2 : 0;
}

RequestParser::RequestParser(std::size_t max_header_bytes, std::size_t max_body_bytes)
    : max_body_bytes_(max_body_bytes),
      chunk_header_([this](std::uint64_t size, beast::string_view extensions,
                           beast::error_code& ec) { on_chunk_header(size, extensions, ec); }) {
    parser_.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_.body_limit(static_cast<std::uint64_t>(max_body_bytes));
    parser_.on_chunk_header(chunk_header_);
}

void RequestParser::on_chunk_header(std::uint64_t size, beast::string_view extensions,
                                    beast::error_code& ec) {
    // Beast has checked `size` against what is left of the body limit.
    body_bytes_ += size + extensions.size();
    if (body_bytes_ > max_body_bytes_) {
        ec = http::error::body_limit;
    }
}

void RequestParser::header_done() {
    header_fields_ =
        static_cast<std::size_t>(std::distance(parser_.get().begin(), parser_.get().end()));
}

bool RequestParser::trailers() const {
    return static_cast<std::size_t>(std::distance(parser_.get().begin(), parser_.get().end())) !=
           header_fields_;
}

}  // namespace estd::net
