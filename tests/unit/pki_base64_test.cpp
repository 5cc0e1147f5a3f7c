#include <string>

#include <gtest/gtest.h>

#include "estd/pki/base64.hpp"

namespace estd::pki {
namespace {

Bytes bytes_of(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

Bytes counting_bytes(std::size_t size) {
    Bytes data(size);
    for (std::size_t i = 0; i < size; ++i) {
        data[i] = static_cast<std::uint8_t>(i * 7 + 3);
    }
    return data;
}

TEST(PkiBase64, EncodesKnownVectors) {
    EXPECT_EQ(base64_encode_lines(bytes_of("")), "");
    EXPECT_EQ(base64_encode_lines(bytes_of("f")), "Zg==\n");
    EXPECT_EQ(base64_encode_lines(bytes_of("fo")), "Zm8=\n");
    EXPECT_EQ(base64_encode_lines(bytes_of("foo")), "Zm9v\n");
    EXPECT_EQ(base64_encode_lines(bytes_of("foobar")), "Zm9vYmFy\n");
}

TEST(PkiBase64, WrapsAt76CharactersWithLf) {
    const std::string text = base64_encode_lines(counting_bytes(1000));
    std::size_t start = 0;
    std::size_t lines = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        ASSERT_NE(end, std::string::npos) << "every line ends with LF";
        const std::string line = text.substr(start, end - start);
        EXPECT_LE(line.size(), 76U);
        EXPECT_EQ(line.find('\n'), std::string::npos);
        EXPECT_EQ(line.find('\r'), std::string::npos);
        start = end + 1;
        ++lines;
    }
    EXPECT_EQ(lines, (1000U + 56U) / 57U);
    EXPECT_EQ(text.substr(0, text.find('\n')).size(), 76U);
}

TEST(PkiBase64, SingleLineHasNoLineBreakAtAll) {
    EXPECT_EQ(base64_encode_single_line(bytes_of("")), "");
    EXPECT_EQ(base64_encode_single_line(bytes_of("f")), "Zg==");
    EXPECT_EQ(base64_encode_single_line(bytes_of("foobar")), "Zm9vYmFy");
    const Bytes data = counting_bytes(5000);
    const std::string text = base64_encode(data, Base64Layout::single_line);
    EXPECT_EQ(text.size(), (5000U + 2U) / 3U * 4U);
    EXPECT_EQ(text.find_first_of("\r\n"), std::string::npos);
    EXPECT_EQ(base64_decode_lenient(text), data);
    EXPECT_EQ(base64_encode(data, Base64Layout::wrapped), base64_encode_lines(data));
}

TEST(PkiBase64, RoundTripsEverySizeAroundLineAndQuantumBoundaries) {
    for (std::size_t size = 0; size <= 200; ++size) {
        const Bytes data = counting_bytes(size);
        const auto decoded = base64_decode_lenient(base64_encode_lines(data));
        ASSERT_TRUE(decoded.has_value()) << "size " << size;
        EXPECT_EQ(*decoded, data) << "size " << size;
    }
}

TEST(PkiBase64, PaddingIsStrippedFromTheDecodedLength) {
    EXPECT_EQ(base64_decode_lenient("Zg=="), bytes_of("f"));
    EXPECT_EQ(base64_decode_lenient("Zm8="), bytes_of("fo"));
    EXPECT_EQ(base64_decode_lenient("Zm9v"), bytes_of("foo"));
    EXPECT_EQ(base64_decode_lenient("AA=="), Bytes{0});
    EXPECT_EQ(base64_decode_lenient("AAA="), (Bytes{0, 0}));
}

TEST(PkiBase64, IgnoresCrLfSpacesAndTabsAnywhere) {
    const Bytes expected = bytes_of("foobar");
    EXPECT_EQ(base64_decode_lenient("Zm9v\r\nYmFy\r\n"), expected);
    EXPECT_EQ(base64_decode_lenient("Zm9v\nYmFy\n"), expected);
    EXPECT_EQ(base64_decode_lenient("Zm 9v Ym Fy"), expected);
    EXPECT_EQ(base64_decode_lenient("Zm\t9vYm\tFy"), expected);
    EXPECT_EQ(base64_decode_lenient("  \r\n\t Zm9vYmFy \t\r\n\r\n  "), expected);
    EXPECT_EQ(base64_decode_lenient("Z\rm\n9 v\tY m F y"), expected);
    EXPECT_EQ(base64_decode_lenient("Zg= ="), bytes_of("f"));
}

TEST(PkiBase64, EmptyAndWhitespaceOnlyDecodeToNothing) {
    EXPECT_EQ(base64_decode_lenient(""), Bytes{});
    EXPECT_EQ(base64_decode_lenient(" \r\n\t"), Bytes{});
}

TEST(PkiBase64, RejectsMissingPadding) {
    EXPECT_FALSE(base64_decode_lenient("Zg").has_value());
    EXPECT_FALSE(base64_decode_lenient("Zm8").has_value());
    EXPECT_FALSE(base64_decode_lenient("Zm9vYg").has_value());
}

TEST(PkiBase64, RejectsBadPadding) {
    EXPECT_FALSE(base64_decode_lenient("Z===").has_value());
    EXPECT_FALSE(base64_decode_lenient("====").has_value());
    EXPECT_FALSE(base64_decode_lenient("Zg==Zm9v").has_value()) << "padding in the middle";
    EXPECT_FALSE(base64_decode_lenient("Z=g=").has_value());
    EXPECT_FALSE(base64_decode_lenient("Zm9vY===").has_value());
}

TEST(PkiBase64, RejectsGarbage) {
    EXPECT_FALSE(base64_decode_lenient("Zm9v!mFy").has_value());
    EXPECT_FALSE(base64_decode_lenient("Zm9v-mFy").has_value()) << "base64url is not base64";
    EXPECT_FALSE(base64_decode_lenient("Zm9v_mFy").has_value());
    EXPECT_FALSE(base64_decode_lenient("Zm9v\vYmFy").has_value()) << "vertical tab";
    EXPECT_FALSE(base64_decode_lenient("Zm9v\fYmFy").has_value()) << "form feed";
    EXPECT_FALSE(base64_decode_lenient(std::string_view("Zm9v\0YmFy", 9)).has_value());
    EXPECT_FALSE(base64_decode_lenient("-----BEGIN CERTIFICATE-----").has_value());
    EXPECT_FALSE(base64_decode_lenient("Zm9v\xc3\xa9mFy").has_value());
}

}  // namespace
}  // namespace estd::pki
