#include <gtest/gtest.h>

#include "estd/https/url.hpp"

namespace estd::https {
namespace {

TEST(HttpsUrl, SchemesGiveTheirDefaultPortWhichTheAuthorityLeavesOut) {
    const auto tls = parse_url("HTTPS://hooks.example.com");
    ASSERT_TRUE(tls.ok());
    EXPECT_TRUE(tls->tls);
    EXPECT_EQ(tls->port, "443");
    EXPECT_EQ(tls->target, "/");
    EXPECT_EQ(tls->authority(), "hooks.example.com");
    const auto plain = parse_url("http://hooks.example.com/in");
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->tls);
    EXPECT_EQ(plain->port, "80");
    EXPECT_EQ(plain->authority(), "hooks.example.com");
    EXPECT_EQ(parse_url("http://hooks.example.com:443/")->authority(), "hooks.example.com:443");
}

TEST(HttpsUrl, TargetKeepsPathAndQuery) {
    const auto url = parse_url("http://127.0.0.1:9000/hooks/estd?x=1");
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_TRUE(url->host_is_ip);
    EXPECT_EQ(url->port, "9000");
    EXPECT_EQ(url->target, "/hooks/estd?x=1");
    EXPECT_EQ(parse_url("http://host?x=1")->target, "/?x=1");
}

TEST(HttpsUrl, Ipv6IsBracketedInTheAuthority) {
    const auto url = parse_url("http://[::1]:8080/x");
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url->host, "::1");
    EXPECT_TRUE(url->host_is_ip);
    EXPECT_EQ(url->authority(), "[::1]:8080");
}

TEST(HttpsUrl, Refusals) {
    for (const char* bad : {"ftp://x", "host:80", "http://", "http://:80/", "http://host:port/",
                            "http://host:0", "https://host:65536", "http://host:", "http://::1:80",
                            "http://[::1", "http://[x]:1", "http://u:p@host/", "http://host/a b"}) {
        const auto url = parse_url(bad);
        ASSERT_FALSE(url.ok()) << bad;
        EXPECT_TRUE(url.error().kind == ErrorKind::input && url.error().message.starts_with("URL"))
            << url.error().message;
    }
}

}  // namespace
}  // namespace estd::https
