#pragma once

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::policy {

class CertificateProfile;

// The csrattrs answer's DER (pki::CsrAttrsBuilder), listing what the profile
// requires, in this order:
// - challengePassword, when the EST profile requires channel binding
//   (RFC 7030 §3.5);
// - the key algorithms, only when ALLOWED_KEY_ALGORITHMS is set, in the
//   profile's order of preference: an ecPublicKey attribute whose values are
//   the allowed curves, an rsaEncryption attribute whose value is the minimum
//   size (RFC 9908), the id-Ed25519 OID;
// - the OID of each required attribute (serialNumber for deviceSerialNumber,
//   commonName, ...);
// - one extensionRequest attribute (RFC 9908) with the extendedKeyUsage the
//   certificate gets (only when ALLOWED_EKUS is set) and the TLS feature
//   must-staple (when MUST_STAPLE is set).
// Empty when there is nothing to list: the answer is then 204.
Result<pki::Bytes> csr_attributes_der(const CertificateProfile* profile,
                                      bool channel_binding_required);

}  // namespace estd::policy
