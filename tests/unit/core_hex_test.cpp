// The one hex encoding: every fingerprint, serial and token id estd shows.

#include <array>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "estd/core/hex.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/digest.hpp"

namespace estd {
namespace {

TEST(HexTest, TwoLowerCaseDigitsPerByteKeepingLeadingZeros) {
    const std::vector<std::uint8_t> bytes = {0x00, 0xAB, 0x10, 0x0f};
    EXPECT_EQ(to_hex(bytes), "00ab100f");
    EXPECT_EQ(to_hex({}), "");
}

TEST(HexTest, UpperCaseWithASeparatorBetweenBytesOnly) {
    const std::vector<std::uint8_t> bytes = {0x01, 0xa2, 0xff};
    EXPECT_EQ(to_hex(bytes, HexCase::upper, ":"), "01:A2:FF");
    EXPECT_EQ(to_hex(std::span(bytes).first(1), HexCase::upper, ":"), "01");
    EXPECT_EQ(to_hex(bytes, HexCase::upper), "01A2FF");
}

TEST(HexTest, Sha256HexIsTheKnownDigest) {
    EXPECT_EQ(pki::sha256_hex({}),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const auto abc = pki::sha256(std::string_view("abc"));
    ASSERT_TRUE(abc);
    EXPECT_EQ(to_hex(*abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HexTest, IntegersAreWholeBytesWithoutLeadingZeroBytes) {
    const auto text = [](long value) {
        const pki::OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free> integer(ASN1_INTEGER_new());
        ASN1_INTEGER_set(integer.get(), value);
        return pki::integer_hex(integer.get());
    };
    EXPECT_EQ(text(0), "0");
    EXPECT_EQ(text(0x1a2b), "1a2b");
    EXPECT_EQ(text(0x100), "0100");
    EXPECT_EQ(text(0xabc), "0abc");
    EXPECT_EQ(text(-5), "-05");
}

}  // namespace
}  // namespace estd
