#pragma once

#include <optional>
#include <string>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

namespace estd::net {

// Why the body framing of a parsed request header is ambiguous — a
// smuggling shape Beast lets through — or nothing when it is not. `chunked`
// is the parser's verdict (parser::chunked()). Beast already refuses two
// different Content-Length values and Transfer-Encoding after
// Content-Length; it ignores a Transfer-Encoding whose last coding is not
// chunked, and frames by Content-Length when one follows such a field, where
// a front end honouring Transfer-Encoding (RFC 9112 6.1) frames otherwise.
std::optional<std::string> ambiguous_framing(
    const boost::beast::http::request_header<boost::beast::http::fields>& header, bool chunked);

}  // namespace estd::net
