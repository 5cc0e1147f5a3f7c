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
    if (has_obsolete_fold(head)) {
        return "obsolete fold";
    }
    auto problem = ambiguous_framing(parser.get(), parser.chunked());
    if (!problem) {
        problem = invalid_fields(parser.get());
    }
    return problem ? *problem : "ok";
}

// What a RequestParser with a 1 KiB header and a 64-byte body limit makes
// of a whole request: "ok", "trailers", or Beast's error.
std::string parse_whole(const std::string& message) {
    RequestParser parser(1024, 64);
    boost::beast::error_code ec;
    parser.get().eager(false);
    std::size_t used = parser.get().put(boost::asio::buffer(message), ec);
    if (ec) {
        return ec.message();
    }
    parser.header_done();
    parser.get().eager(true);
    while (!parser.get().is_done()) {
        const auto n =
            parser.get().put(boost::asio::buffer(message.data() + used, message.size() - used), ec);
        if (ec) {
            return ec.message();
        }
        used += n;
    }
    return parser.trailers() ? "trailers" : "ok";
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

TEST(RequestFraming, TransferEncodingWithParametersIsRefused) {
    // Beast reads both as chunked.
    EXPECT_NE(verdict(request("HTTP/1.1", "Transfer-Encoding: chunked;q=1\r\n")), "ok");
    EXPECT_NE(verdict(request("HTTP/1.1", "Transfer-Encoding: chunked ;q=1\r\n")), "ok");
}

TEST(RequestFraming, ObsoleteLineFoldingIsRefused) {
    // Beast unfolds this to "Transfer-Encoding: chunked" and frames by it.
    EXPECT_EQ(verdict(request("HTTP/1.1", "Transfer-Encoding:\r\n chunked\r\n")), "obsolete fold");
    EXPECT_EQ(verdict(request("HTTP/1.1", "X-A: 1\r\n\t2\r\n")), "obsolete fold");
    EXPECT_FALSE(has_obsolete_fold("GET / HTTP/1.1\r\nHost: a\r\nX-B: 1 2\r\n\r\n"));
}

TEST(RequestFraming, HostMustBeThereOnceInHttp11) {
    EXPECT_NE(verdict("GET / HTTP/1.1\r\n\r\n"), "ok");
    EXPECT_NE(verdict("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), "ok");
    EXPECT_NE(verdict("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), "ok");
    EXPECT_NE(verdict("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), "ok");
    EXPECT_NE(verdict("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), "ok");
    EXPECT_EQ(verdict("GET / HTTP/1.0\r\n\r\n"), "ok");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: est.example.com:8443\r\n\r\n"), "ok");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n"), "ok");
    EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost:\r\n\r\n"), "ok");  // RFC 9112 3.2: allowed
}

TEST(RequestFraming, TwoAuthorizationFieldsAreRefused) {
    EXPECT_NE(
        verdict(request("HTTP/1.1", "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n")),
        "ok");
    EXPECT_EQ(verdict(request("HTTP/1.1", "Authorization: Bearer a\r\n")), "ok");
}

TEST(RequestFraming, HeaderFieldsAreCounted) {
    EXPECT_EQ(header_field_count("GET / HTTP/1.1\r\n\r\n"), 0U);
    EXPECT_EQ(header_field_count("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n"), 2U);
}

TEST(RequestFraming, FindHeaderEndResumesWhereItStopped) {
    const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\nbody";
    std::size_t scanned = 0;
    for (std::size_t n = 0; n < head.size() - 4; ++n) {
        EXPECT_FALSE(find_header_end(std::string_view(head).substr(0, n), scanned)) << n;
    }
    const auto end = find_header_end(head, scanned);
    ASSERT_TRUE(end);
    EXPECT_EQ(*end, head.size() - 4);
}

TEST(RequestFraming, ChunkExtensionsCountAgainstTheBodyLimit) {
    const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    EXPECT_EQ(parse_whole(head + "4;a=b\r\nAAAA\r\n0\r\n\r\n"), "ok");
    // 60 body bytes and 10 of extensions: over 64.
    EXPECT_EQ(parse_whole(head + "3c;aaaaaaaaa\r\n" + std::string(60, 'A') + "\r\n0\r\n\r\n"),
              "body limit exceeded");
    // No body at all, only extensions.
    std::string empty_chunks;
    for (int i = 0; i < 10; ++i) {
        empty_chunks += "1;" + std::string(10, 'e') + "\r\nA\r\n";
    }
    EXPECT_EQ(parse_whole(head + empty_chunks + "0\r\n\r\n"), "body limit exceeded");
    EXPECT_EQ(parse_whole(head + "0;" + std::string(70, 'e') + "\r\n\r\n"), "body limit exceeded");
}

TEST(RequestFraming, TrailersAreSeen) {
    const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    EXPECT_EQ(parse_whole(head + "1\r\nA\r\n0\r\n\r\n"), "ok");
    EXPECT_EQ(parse_whole(head + "1\r\nA\r\n0\r\nAuthorization: Bearer x\r\n\r\n"), "trailers");
}

}  // namespace
}  // namespace estd::net
