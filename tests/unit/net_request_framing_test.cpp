// Smuggling shapes Beast's parser lets through are caught on the parsed
// header; unambiguous requests pass.
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "estd/net/request_framing.hpp"

namespace estd::net {
namespace {

namespace http = boost::beast::http;

// What ambiguous_framing says about `head` (a request up to and including
// its blank line) once Beast has parsed it; "parse error" when Beast itself
// refused it.
std::string verdict(const std::string& head) {
    http::request_parser<http::string_body> parser;
    boost::beast::error_code ec;
    parser.eager(false);
    parser.put(boost::asio::buffer(head), ec);
    if (ec || !parser.is_header_done()) {
        return "parse error";
    }
    const auto problem = ambiguous_framing(parser.get(), parser.chunked());
    return problem ? *problem : "ok";
}

std::string request(const std::string& version, const std::string& headers) {
    return "POST /x " + version + "\r\nHost: a\r\n" + headers + "\r\n";
}

TEST(RequestFraming, PlainFramingPasses) {
    EXPECT_EQ(verdict(request("HTTP/1.1", "Content-Length: 4\r\n")), "ok");
    EXPECT_EQ(verdict(request("HTTP/1.1", "Transfer-Encoding: chunked\r\n")), "ok");
    EXPECT_EQ(verdict(request("HTTP/1.1", "Transfer-Encoding: Chunked\r\n")), "ok");
    EXPECT_EQ(verdict(request("HTTP/1.1", "")), "ok");
}

TEST(RequestFraming, TransferEncodingNotEndingInChunkedIsRefused) {
    EXPECT_NE(verdict(request("HTTP/1.1", "Transfer-Encoding: chunked, identity\r\n")), "ok");
    EXPECT_NE(verdict(request("HTTP/1.1", "Transfer-Encoding: gzip\r\n")), "ok");
    EXPECT_NE(verdict(request("HTTP/1.1", "Transfer-Encoding: gzip, chunked\r\n")), "ok");
}

TEST(RequestFraming, TransferEncodingWithContentLengthIsRefused) {
    // Beast refuses Transfer-Encoding after Content-Length itself; a
    // non-chunked coding before it slips through its check.
    EXPECT_EQ(verdict(request("HTTP/1.1", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n")),
              "parse error");
    EXPECT_NE(verdict(request("HTTP/1.1", "Transfer-Encoding: identity\r\nContent-Length: 4\r\n")),
              "ok");
    EXPECT_NE(verdict(request("HTTP/1.1", "Transfer-Encoding: identity\r\nContent-Length: 4\r\n")),
              "parse error");
}

TEST(RequestFraming, SplitTransferEncodingIsRefused) {
    EXPECT_NE(
        verdict(request("HTTP/1.1", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
        "ok");
}

TEST(RequestFraming, TransferEncodingInHttp10IsRefused) {
    EXPECT_NE(verdict(request("HTTP/1.0", "Transfer-Encoding: chunked\r\n")), "ok");
}

TEST(RequestFraming, DuplicateContentLengthsAreBeastsToRefuse) {
    EXPECT_EQ(verdict(request("HTTP/1.1", "Content-Length: 4\r\nContent-Length: 40\r\n")),
              "parse error");
    EXPECT_EQ(verdict(request("HTTP/1.1", "Content-Length: +4\r\n")), "parse error");
    EXPECT_EQ(verdict(request("HTTP/1.1", "Content-Length : 4\r\n")), "parse error");
}

}  // namespace
}  // namespace estd::net
