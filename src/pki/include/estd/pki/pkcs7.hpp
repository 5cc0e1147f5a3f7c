#pragma once

#include <span>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// CMS SignedData "certs-only" (RFC 5652, RFC 7030 §4.1.3): no content, no
// signers, just certificates, DER encoded.
Result<Bytes> certs_only_der(const std::vector<X509*>& certs);
Result<std::vector<X509Ptr>> parse_certs_only_der(std::span<const std::uint8_t> der);

// The DER SubjectPublicKeyInfo of each certificate in a certs-only
// structure, read without decoding the keys: a fraction of the cost of
// parse_certs_only_der, for checking answers at load-generator rates.
Result<std::vector<Bytes>> certs_only_public_key_infos(std::span<const std::uint8_t> der);

}  // namespace estd::pki
