#pragma once

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"
#include "estd/pki/secret_bytes.hpp"

namespace estd::pki {

// The unencrypted PKCS#8 PrivateKeyInfo (RFC 5958 OneAsymmetricKey v1) DER
// of `key`, in a buffer wiped when it goes away.
Result<SecretBytes> private_key_pkcs8_der(EVP_PKEY* key);

}  // namespace estd::pki
