#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string_type.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace estd::net {

// Why the body framing of a parsed request header is ambiguous — a
// smuggling shape Beast lets through — or nothing when it is not. `chunked`
// is the parser's verdict (parser::chunked()). Beast already refuses two
// different Content-Length values and Transfer-Encoding after
// Content-Length; it ignores a Transfer-Encoding whose last coding is not
// chunked, and frames by Content-Length when one follows such a field, where
// a front end honouring Transfer-Encoding (RFC 9112 6.1) frames otherwise.
// Transfer-Encoding must be exactly "chunked" (no parameters, no other
// coding).
std::optional<std::string> ambiguous_framing(
    const boost::beast::http::request_header<boost::beast::http::fields>& header, bool chunked);

// Why a parsed request header is invalid though Beast accepted it, or
// nothing: an HTTP/1.1 request without Host, more than one Host (RFC 9112
// 3.2) or a Host that is no host[:port], more than one Authorization (which
// one a front end and estd would each read is anybody's guess).
std::optional<std::string> invalid_fields(
    const boost::beast::http::request_header<boost::beast::http::fields>& header);

// Where the request header at the front of `buffered` ends (the offset just
// past its blank line), or nothing while it is incomplete. `scanned` carries
// how far an earlier call got, so bytes arriving one at a time are not
// searched again; start it at 0 for each request.
std::optional<std::size_t> find_header_end(std::string_view buffered, std::size_t& scanned);

// Whether a raw request header (start line and fields) holds an obsolete
// line folding: a line starting with a space or a tab. Beast unfolds it,
// which hides a folded Transfer-Encoding; RFC 9112 5.2 lets a server refuse
// it instead, and estd does.
bool has_obsolete_fold(std::string_view header);

// Most header fields a request may have. Beast stores each field with about
// 80 bytes of bookkeeping: a 16 KiB header of 4 000 empty fields took 320 KiB
// parsed; 100 keep it within the header limit plus 8 KiB. EST and operator
// clients send about ten.
inline constexpr std::size_t kMaxHeaderFields = 100;

// How many field lines a raw request header (start line, fields, blank line)
// has.
std::size_t header_field_count(std::string_view header);

// A request parser with estd's limits. Beast bounds the header and the sum
// of the chunk sizes; this adds the bytes of chunk extensions to the body's
// count, so a body of empty chunks with long extensions ends at the body
// limit too. The parser holds its chunk callback by reference, hence
// neither copied nor moved: construct it in place (std::optional::emplace).
class RequestParser {
  public:
    using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

    RequestParser(std::size_t max_header_bytes, std::size_t max_body_bytes);
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;
    RequestParser(RequestParser&&) = delete;
    RequestParser& operator=(RequestParser&&) = delete;
    ~RequestParser() = default;

    Parser& get() { return parser_; }
    const Parser& get() const { return parser_; }

    // Call once the header is parsed; then trailers() tells whether the
    // chunked body ended with trailer fields (Beast adds them to the
    // header's fields, after estd checked them).
    void header_done();
    bool trailers() const;

  private:
    void on_chunk_header(std::uint64_t size, boost::beast::string_view extensions,
                         boost::beast::error_code& ec);

    Parser parser_;
    std::uint64_t max_body_bytes_;
    std::uint64_t body_bytes_ = 0;  // chunk sizes and extensions so far
    std::size_t header_fields_ = 0;
    std::function<void(std::uint64_t, boost::beast::string_view, boost::beast::error_code&)>
        chunk_header_;
};

}  // namespace estd::net
