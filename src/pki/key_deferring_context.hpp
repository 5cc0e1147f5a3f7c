#pragma once

#include <openssl/types.h>

namespace estd::pki {

// OpenSSL 3.0 decodes every public key it meets while parsing (a request's,
// each certificate's) through its decoder framework: ~1 M instructions per
// key, more than verifying an ECDSA signature (docs/performance.md).
// Structures parsed with ASN1_item_d2i_ex in this library context, which
// holds only the null provider, find no decoder and keep their keys as
// bytes: X509_get0_pubkey and the like fail on them, so they serve callers
// that read the keys' bytes or build the keys themselves. Null when the
// context could not be made; parsing in it is then ordinary parsing.
OSSL_LIB_CTX* key_deferring_context();

}  // namespace estd::pki
