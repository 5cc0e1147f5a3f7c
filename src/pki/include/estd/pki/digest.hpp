#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace estd::pki {

using Sha256 = std::array<std::uint8_t, 32>;

// nullopt only when OpenSSL cannot compute it (out of memory).
std::optional<Sha256> sha256(std::span<const std::uint8_t> data);
std::optional<Sha256> sha256(std::string_view text);

// Lower-case hex of the SHA-256 of `data`, empty when it cannot be computed:
// the inventory's fingerprints, what `openssl x509 -fingerprint -sha256`
// shows of a DER certificate without the colons.
std::string sha256_hex(std::span<const std::uint8_t> data);

}  // namespace estd::pki
