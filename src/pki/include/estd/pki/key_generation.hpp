#pragma once

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// Fresh key pairs from OpenSSL's default CSPRNG (serverkeygen). Failures are
// 500s: the process cannot make keys.
Result<EvpPkeyPtr> generate_rsa_key(unsigned bits);
Result<EvpPkeyPtr> generate_ec_key(const char* curve);  // "P-256", "P-384"
Result<EvpPkeyPtr> generate_ed25519_key();

}  // namespace estd::pki
