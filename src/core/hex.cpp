#include "estd/core/hex.hpp"

namespace estd {

std::string to_hex(std::span<const std::uint8_t> bytes, HexCase letters,
                   std::string_view separator) {
    const char* digits = letters == HexCase::upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * (2 + separator.size()));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i != 0) {
            out += separator;
        }
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 0x0f]);
    }
    return out;
}

}  // namespace estd
