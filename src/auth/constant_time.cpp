#include "estd/auth/constant_time.hpp"

#include <openssl/crypto.h>

namespace estd::auth {

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size()) {
        return false;
    }
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace estd::auth
