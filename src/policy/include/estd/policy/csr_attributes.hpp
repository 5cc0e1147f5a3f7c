#pragma once

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::policy {

class CertificateProfile;

// The csrattrs answer's DER (pki::CsrAttrsBuilder), listing what the profile
// requires, in this order:
// - challengePassword, when the EST profile requires channel binding
//   (RFC 7030 §3.5);
// - the key algorithms, always (RFC 7030 §4.5.2: a required algorithm is
//   announced): ALLOWED_KEY_ALGORITHMS in the profile's order of preference,
//   or the baseline's (RSA-2048+, P-256, P-384, Ed25519) when it is unset or
//   there is no certificate profile: an ecPublicKey attribute whose values
//   are the allowed curves, an rsaEncryption attribute whose value is the
//   minimum size (RFC 9908), the id-Ed25519 OID;
// - the OID of each required attribute (serialNumber for deviceSerialNumber,
//   commonName, ...);
// - one extensionRequest attribute (RFC 9908) with the extendedKeyUsage the
//   certificate gets (only when ALLOWED_EKUS is set) and the TLS feature
//   must-staple (when MUST_STAPLE is set).
// Never empty since the key algorithms are always listed (the 204 of "nothing
// to list" stays possible for an empty answer).
Result<pki::Bytes> csr_attributes_der(const CertificateProfile* profile,
                                      bool channel_binding_required);

}  // namespace estd::policy
