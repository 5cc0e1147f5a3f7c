// X-Forwarded-For is believed only from trusted proxies.
#include <gtest/gtest.h>

#include "estd/auth/client_address.hpp"

namespace estd::auth {
namespace {

TrustedProxies proxies(const std::vector<std::string>& cidrs) {
    auto parsed = TrustedProxies::parse(cidrs);
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message);
    return parsed ? std::move(*parsed) : TrustedProxies{};
}

TEST(IpAddressTest, ParsesAddressesAndForwardedForForms) {
    EXPECT_EQ(IpAddress::parse("192.0.2.1")->to_string(), "192.0.2.1");
    EXPECT_EQ(IpAddress::parse(" 192.0.2.1 ")->to_string(), "192.0.2.1");
    EXPECT_EQ(IpAddress::parse("192.0.2.1:4711")->to_string(), "192.0.2.1");
    EXPECT_EQ(IpAddress::parse("2001:DB8::0:1")->to_string(), "2001:db8::1");
    EXPECT_EQ(IpAddress::parse("[2001:db8::1]")->to_string(), "2001:db8::1");
    EXPECT_EQ(IpAddress::parse("[2001:db8::1]:443")->to_string(), "2001:db8::1");
    // What a dual-stack socket reports for an IPv4 peer is that IPv4 address.
    EXPECT_EQ(IpAddress::parse("::ffff:192.0.2.7")->to_string(), "192.0.2.7");
    EXPECT_TRUE(IpAddress::parse("::ffff:192.0.2.7")->is_v4());

    for (const char* bad : {"", "unknown", "192.0.2", "192.0.2.1.5", "192.0.2.256",
                            "192.0.2.1:99999", "192.0.2.1:", "[2001:db8::1", "[2001:db8::1]x",
                            "fe80::1%eth0", "2001:db8::1:443:x", "<script>"}) {
        EXPECT_FALSE(IpAddress::parse(bad)) << bad;
    }
}

TEST(TrustedProxiesTest, MatchesPrefixes) {
    const auto trusted = proxies({"10.0.0.0/8", "192.0.2.128/25", "2001:db8::/32", "::1/128"});
    EXPECT_TRUE(trusted.contains(*IpAddress::parse("10.200.1.1")));
    EXPECT_TRUE(trusted.contains(*IpAddress::parse("192.0.2.200")));
    EXPECT_FALSE(trusted.contains(*IpAddress::parse("192.0.2.127")));
    EXPECT_FALSE(trusted.contains(*IpAddress::parse("11.0.0.1")));
    EXPECT_TRUE(trusted.contains(*IpAddress::parse("2001:db8:ffff::1")));
    EXPECT_TRUE(trusted.contains(*IpAddress::parse("::1")));
    EXPECT_FALSE(trusted.contains(*IpAddress::parse("::2")));
    EXPECT_TRUE(trusted.contains(*IpAddress::parse("::ffff:10.1.2.3")));
    EXPECT_TRUE(proxies({"0.0.0.0/0"}).contains(*IpAddress::parse("203.0.113.1")));
    EXPECT_FALSE(proxies({"0.0.0.0/0"}).contains(*IpAddress::parse("2001:db8::1")));
    EXPECT_TRUE(TrustedProxies{}.empty());
    EXPECT_FALSE(TrustedProxies::parse({"10.0.0.0/33"}));
    EXPECT_FALSE(TrustedProxies::parse({"10.0.0.0"}));
    EXPECT_FALSE(TrustedProxies::parse({"proxy.example.com/32"}));
}

TEST(ClientAddressTest, IgnoresForwardedForFromUntrustedPeers) {
    EXPECT_EQ(client_address("198.51.100.7", "203.0.113.9", TrustedProxies{}), "198.51.100.7");
    EXPECT_EQ(client_address("198.51.100.7", "203.0.113.9", proxies({"10.0.0.0/8"})),
              "198.51.100.7");
    EXPECT_EQ(client_address("::ffff:198.51.100.7", "", TrustedProxies{}), "198.51.100.7");
}

TEST(ClientAddressTest, BelievesTrustedHopsFromTheRight) {
    const auto trusted = proxies({"10.0.0.0/8"});
    EXPECT_EQ(client_address("10.0.0.1", "203.0.113.9", trusted), "203.0.113.9");
    // A client-written entry on the left is ignored: the rightmost address
    // not written by a trusted proxy is the client.
    EXPECT_EQ(client_address("10.0.0.1", "1.2.3.4, 203.0.113.9", trusted), "203.0.113.9");
    // A chain of trusted proxies is walked through.
    EXPECT_EQ(client_address("10.0.0.1", "203.0.113.9, 10.0.0.2, 10.0.0.3", trusted),
              "203.0.113.9");
    // Every hop trusted: the leftmost one is as far as the chain goes.
    EXPECT_EQ(client_address("10.0.0.1", "10.0.0.5,10.0.0.6", trusted), "10.0.0.5");
    // Several header fields are one list, with ports and brackets tolerated.
    EXPECT_EQ(client_address("10.0.0.1", "203.0.113.9:5555,10.0.0.2", trusted), "203.0.113.9");
    EXPECT_EQ(client_address("10.0.0.1", "[2001:db8::9]:443", trusted), "2001:db8::9");
    EXPECT_EQ(client_address("10.0.0.1", "203.0.113.9,,", trusted), "203.0.113.9");
    // No header: the peer.
    EXPECT_EQ(client_address("10.0.0.1", "", trusted), "10.0.0.1");
}

TEST(ClientAddressTest, MalformedEntriesStopAtTheLastTrustedHop) {
    const auto trusted = proxies({"10.0.0.0/8"});
    EXPECT_EQ(client_address("10.0.0.1", "unknown", trusted), "10.0.0.1");
    EXPECT_EQ(client_address("10.0.0.1", "203.0.113.9, garbage, 10.0.0.2", trusted), "10.0.0.2");
    EXPECT_EQ(client_address("10.0.0.1", "\"><script>", trusted), "10.0.0.1");
}

TEST(ClientAddressTest, TheWalkIsBounded) {
    const auto trusted = proxies({"10.0.0.0/8"});
    std::string many = "203.0.113.9";
    for (int i = 0; i < 100; ++i) {
        many += ",10.0.0.2";
    }
    // More trusted hops than kMaxForwardedHops: the walk stops inside the
    // chain and never reaches (nor believes) what lies beyond.
    EXPECT_EQ(client_address("10.0.0.1", many, trusted), "10.0.0.2");
}

TEST(ClientAddressTest, LimitKeysGroupAnIpv6SubscriberByItsSlash64) {
    EXPECT_EQ(source_limit_key("192.0.2.1"), "192.0.2.1");
    EXPECT_EQ(source_limit_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    EXPECT_EQ(source_limit_key("2001:db8:1:2:bbbb::2"), "2001:db8:1:2::/64");
    EXPECT_NE(source_limit_key("2001:db8:1:3::1"), source_limit_key("2001:db8:1:2::1"));
}

}  // namespace
}  // namespace estd::auth
