#include "estd/pki/digest.hpp"

#include <openssl/evp.h>

#include "estd/core/hex.hpp"

namespace estd::pki {

std::optional<Sha256> sha256(std::span<const std::uint8_t> data) {
    Sha256 digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
        length != digest.size()) {
        return std::nullopt;
    }
    return digest;
}

std::optional<Sha256> sha256(std::string_view text) {
    return sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string sha256_hex(std::span<const std::uint8_t> data) {
    const auto digest = sha256(data);
    return digest ? to_hex(*digest) : std::string();
}

}  // namespace estd::pki
