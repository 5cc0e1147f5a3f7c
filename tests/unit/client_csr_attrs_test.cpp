#include <gtest/gtest.h>

#include "estd/client/est_client.hpp"
#include "estd/pki/base64.hpp"

namespace estd::client {
namespace {

using pki::Bytes;

TEST(ClientCsrAttrs, DecodesTheRfc7030Example) {
    // RFC 7030 §4.5.2's example: challengePassword, an EC key on P-384, a
    // macAddress extension request and ecdsa-with-SHA384.
    const auto der = pki::base64_decode_lenient(
        "MEEGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiMBYGCSqGSIb3DQEJDjEJ\n"
        "BgcrBgEBAQEWBggqhkjOPQQDAw==\n");
    ASSERT_TRUE(der);
    const auto items = parse_csr_attrs(*der);
    ASSERT_TRUE(items.ok()) << items.error().message;
    ASSERT_EQ(items->size(), 4U);
    EXPECT_EQ((*items)[0].oid, "1.2.840.113549.1.9.7");
    EXPECT_EQ((*items)[0].name, "challengePassword");
    EXPECT_FALSE((*items)[0].is_attribute);
    EXPECT_EQ((*items)[1].oid, "1.2.840.10045.2.1");
    EXPECT_TRUE((*items)[1].is_attribute);
    EXPECT_EQ((*items)[1].values, std::vector<std::string>{"secp384r1"});
    EXPECT_EQ((*items)[2].oid, "1.2.840.113549.1.9.14");
    EXPECT_EQ((*items)[2].values, std::vector<std::string>{"1.3.6.1.1.1.1.22"});
    EXPECT_EQ((*items)[3].oid, "1.2.840.10045.4.3.3");
    EXPECT_EQ((*items)[3].name, "ecdsa-with-SHA384");
}

TEST(ClientCsrAttrs, EmptySequenceAndRefusals) {
    const Bytes empty{0x30, 0x00};
    const auto none = parse_csr_attrs(empty);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    EXPECT_FALSE(parse_csr_attrs(Bytes{}).ok());
    EXPECT_FALSE(parse_csr_attrs(Bytes{0x30, 0x05, 0x06}).ok());              // truncated
    EXPECT_FALSE(parse_csr_attrs(Bytes{0x30, 0x00, 0x00}).ok());              // trailing data
    EXPECT_FALSE(parse_csr_attrs(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}).ok());  // INTEGER entry
    EXPECT_FALSE(parse_csr_attrs(Bytes{0x31, 0x00}).ok());                    // SET, not SEQUENCE
}

}  // namespace
}  // namespace estd::client
