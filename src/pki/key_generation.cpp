#include "estd/pki/key_generation.hpp"

#include <string>

#include "estd/pki/openssl_error.hpp"

namespace estd::pki {
namespace {

Result<EvpPkeyPtr> checked(EVP_PKEY* key, const std::string& what) {
    EvpPkeyPtr owned(key);
    if (!owned) {
        return Error::internal("cannot generate " + what + " key: " + drain_openssl_errors());
    }
    return owned;
}

}  // namespace

Result<EvpPkeyPtr> generate_rsa_key(unsigned bits) {
    return checked(EVP_RSA_gen(bits), "an RSA-" + std::to_string(bits));
}

Result<EvpPkeyPtr> generate_ec_key(const char* curve) {
    return checked(EVP_EC_gen(curve), std::string("an EC ") + curve);
}

Result<EvpPkeyPtr> generate_ed25519_key() {
    return checked(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), "an Ed25519");
}

}  // namespace estd::pki
