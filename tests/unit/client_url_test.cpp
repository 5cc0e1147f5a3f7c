#include <gtest/gtest.h>

#include "estd/client/url.hpp"

namespace estd::client {
namespace {

TEST(ClientUrl, HostAndPort) {
    const auto url = parse_server_url("https://est.example.com:8443");
    ASSERT_TRUE(url.ok()) << url.error().message;
    EXPECT_EQ(url->host, "est.example.com");
    EXPECT_EQ(url->port, "8443");
    EXPECT_EQ(url->base, "");
    EXPECT_FALSE(url->host_is_ip);
    EXPECT_EQ(url->authority(), "est.example.com:8443");
}

TEST(ClientUrl, DefaultPortIs443AndSchemeIsCaseInsensitive) {
    const auto url = parse_server_url("HTTPS://est.example.com");
    ASSERT_TRUE(url.ok()) << url.error().message;
    EXPECT_EQ(url->port, "443");
    EXPECT_EQ(url->authority(), "est.example.com");
}

TEST(ClientUrl, Ipv4AndIpv6Literals) {
    const auto v4 = parse_server_url("https://127.0.0.1:8443/");
    ASSERT_TRUE(v4.ok());
    EXPECT_TRUE(v4->host_is_ip);
    EXPECT_EQ(v4->base, "");
    const auto v6 = parse_server_url("https://[::1]:8443");
    ASSERT_TRUE(v6.ok()) << v6.error().message;
    EXPECT_EQ(v6->host, "::1");
    EXPECT_TRUE(v6->host_is_ip);
    EXPECT_EQ(v6->authority(), "[::1]:8443");
}

TEST(ClientUrl, BasePathLosesTrailingSlashes) {
    const auto url = parse_server_url("https://proxy.example.com/pki/est//");
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url->base, "/pki/est");
    EXPECT_EQ(*est_path(*url, "corp", "cacerts"), "/pki/est/.well-known/est/corp/cacerts");
}

TEST(ClientUrl, Refusals) {
    for (const char* bad :
         {"http://est.example.com", "est.example.com:8443", "https://", "https://:8443",
          "https://host:0", "https://host:65536", "https://host:84x3",
          "https://host:", "https://::1:8443", "https://[::1", "https://[nothost]:1",
          "https://u:p@host", "https://host/a?b=c", "https://host/#frag", "https://host/a b"}) {
        const auto url = parse_server_url(bad);
        EXPECT_FALSE(url.ok()) << bad;
        if (!url.ok()) {
            EXPECT_EQ(url.error().kind, ErrorKind::input) << bad;
        }
    }
}

TEST(ClientUrl, EstPaths) {
    const auto url = *parse_server_url("https://127.0.0.1:8443");
    EXPECT_EQ(*est_path(url, "", "cacerts"), "/.well-known/est/cacerts");
    EXPECT_EQ(*est_path(url, "corp", "simpleenroll"), "/.well-known/est/corp/simpleenroll");
    EXPECT_EQ(*est_path(url, "wifi", "simplereenroll", EstRouteKind::est_mtls),
              "/.well-known/est-mtls/wifi/simplereenroll");
    EXPECT_FALSE(est_path(url, "a/b", "cacerts").ok());
    EXPECT_FALSE(est_path(url, "..", "cacerts").ok());
    EXPECT_FALSE(est_path(url, "a b", "cacerts").ok());
    EXPECT_FALSE(est_path(url, "a%2f", "cacerts").ok());
}

}  // namespace
}  // namespace estd::client
