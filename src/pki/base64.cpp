#include "estd/pki/base64.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include <climits>
#include <openssl/evp.h>

namespace estd::pki {

namespace {

// 57 input bytes encode to exactly 76 characters, the longest line allowed.
constexpr std::size_t kBytesPerLine = 57;
constexpr std::size_t kCharsPerLine = 76;

bool is_ignored_whitespace(char c) {
    return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

// EVP_DecodeBlock itself skips leading/trailing whitespace and accepts '='
// in odd places, so the alphabet is checked before handing the text over.
bool is_base64_alphabet(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

}  // namespace

std::string base64_encode_lines(std::span<const std::uint8_t> data) {
    std::string text;
    text.reserve((data.size() + kBytesPerLine - 1) / kBytesPerLine * (kCharsPerLine + 1));
    std::array<unsigned char, kCharsPerLine + 1> line{};  // EVP_EncodeBlock adds a NUL
    for (std::size_t offset = 0; offset < data.size(); offset += kBytesPerLine) {
        const auto chunk = data.subspan(offset, std::min(kBytesPerLine, data.size() - offset));
        const int written =
            EVP_EncodeBlock(line.data(), chunk.data(), static_cast<int>(chunk.size()));
        text.append(reinterpret_cast<const char*>(line.data()), static_cast<std::size_t>(written));
        text += '\n';
    }
    return text;
}

std::string base64_encode_single_line(std::span<const std::uint8_t> data) {
    if (data.empty()) {
        return {};
    }
    // EVP_EncodeBlock writes 4 characters per 3 bytes and a NUL; it takes an
    // int length, so larger inputs go in whole 3-byte groups.
    constexpr std::size_t kChunk = std::size_t{3} * 1024 * 1024;
    std::string text;
    text.reserve((data.size() + 2) / 3 * 4);
    std::vector<unsigned char> block((std::min(kChunk, data.size()) + 2) / 3 * 4 + 1);
    for (std::size_t offset = 0; offset < data.size(); offset += kChunk) {
        const auto chunk = data.subspan(offset, std::min(kChunk, data.size() - offset));
        const int written =
            EVP_EncodeBlock(block.data(), chunk.data(), static_cast<int>(chunk.size()));
        text.append(reinterpret_cast<const char*>(block.data()), static_cast<std::size_t>(written));
    }
    return text;
}

std::string base64_encode(std::span<const std::uint8_t> data, Base64Layout layout) {
    return layout == Base64Layout::single_line ? base64_encode_single_line(data)
                                               : base64_encode_lines(data);
}

std::optional<Bytes> base64_decode_lenient(std::string_view text) {
    std::string compact;
    compact.reserve(text.size());
    std::copy_if(text.begin(), text.end(), std::back_inserter(compact),
                 [](char c) { return !is_ignored_whitespace(c); });
    if (compact.empty()) {
        return Bytes{};
    }
    if (compact.size() % 4 != 0 || compact.size() > static_cast<std::size_t>(INT_MAX)) {
        return std::nullopt;
    }
    const auto first_padding = compact.find_last_not_of('=') + 1;
    const std::size_t padding = compact.size() - first_padding;
    if (padding > 2) {
        return std::nullopt;
    }
    if (!std::all_of(compact.begin(), compact.begin() + static_cast<std::ptrdiff_t>(first_padding),
                     is_base64_alphabet)) {
        return std::nullopt;
    }
    Bytes decoded(compact.size() / 4 * 3);
    const int length =
        EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char*>(compact.data()),
                        static_cast<int>(compact.size()));
    if (length < 0 || static_cast<std::size_t>(length) < padding) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts the zero bytes the padding stands for.
    decoded.resize(static_cast<std::size_t>(length) - padding);
    return decoded;
}

}  // namespace estd::pki
