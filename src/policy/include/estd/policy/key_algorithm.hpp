#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::policy {

// What a profile allows when ALLOWED_KEY_ALGORITHMS is not set; the first is
// what serverkeygen generates (the guide's default, RSA-2048).
const std::vector<config::KeyAlgorithm>& default_key_algorithms();

// "EC P-256", "RSA 3072", "Ed25519", "EC secp521r1": for messages.
std::string describe_key(EVP_PKEY* key);

// The CSR's key against the allowed list: a key of a type not listed is
// refused on "key algorithm", an RSA key below the minimum on "key size", an
// RSA public exponent that is even, 1, or below 65537 (unless
// `small_rsa_exponent_allowed`: odd from 3) on "key algorithm".
Status check_key_algorithm(std::string_view profile_id,
                           const std::vector<config::KeyAlgorithm>& allowed, EVP_PKEY* key,
                           bool small_rsa_exponent_allowed = false);

// A fresh key of that algorithm (RSA-n: exactly n bits).
Result<pki::EvpPkeyPtr> generate_key(const config::KeyAlgorithm& algorithm);

}  // namespace estd::policy
