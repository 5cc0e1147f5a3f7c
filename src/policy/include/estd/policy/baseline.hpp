#pragma once

#include <string_view>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/csr.hpp"

namespace estd::policy {

// The baseline: what every certificate estd issues satisfies, with or
// without a certificate profile (docs/security.md). Only a certificate
// profile's own settings widen it (ALLOWED_KEY_ALGORITHMS within what the
// configuration accepts, ALLOW_WILDCARD_DNS, ALLOW_SMALL_RSA_EXPONENT).

// The settings of an EST profile without a certificate profile: every list at
// its default, no wildcard, no small RSA exponent; the empty id makes
// refusals read "refused by estd's baseline (no certificate profile)".
const config::CertificateProfileConfig& baseline_profile();

// Every baseline check of `csr` under `profile`'s settings, in this order:
// - the key: one of the profile's ALLOWED_KEY_ALGORITHMS, or of the default
//   list (RSA-2048+, EC P-256, EC P-384, Ed25519), with an RSA exponent
//   rule (policy/key_algorithm.hpp);
// - the CSR's signature: SHA-256 or better (EdDSA as it is);
// - each requested subjectAltName extension decodes, and its names pass
//   check_subject_alt_names (dns, ip, email, uri only, each with its
//   syntax; the profile's suffix and domain rules);
// - check_common_name.
Status check_baseline(const config::CertificateProfileConfig& profile, const pki::Csr& csr);

// The signature algorithm of the request: RSA PKCS#1 v1.5 or PSS, ECDSA with
// SHA-256, SHA-384, SHA-512 or SHA3-256/384/512, or EdDSA. "CSR signature".
Status check_signature_digest(std::string_view profile_id, const pki::Csr& csr);

// Each commonName of the subject: readable text of at most 64 characters
// (ub-common-name) without control characters. One that looks like a host
// name (a dot, only letters, digits, '-', '.', '_' and '*', not an IPv4
// address) holds a wildcard only with ALLOW_WILDCARD_DNS, and when the
// profile sets SAN_DNS_SUFFIXES it equals one of the requested DNS names or
// is a valid DNS name within the suffixes. "subject".
Status check_common_name(const config::CertificateProfileConfig& profile, const pki::Csr& csr);

}  // namespace estd::policy
