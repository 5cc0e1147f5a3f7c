#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// Everything an end-entity certificate gets, decided before signing. The
// builder adds the invariant parts itself: a 128-bit random serial,
// BasicConstraints CA:false (critical), key usage fitting the subject key
// type, SKI and AKI.
struct CertificateTemplate {
    X509NamePtr subject;
    EvpPkeyPtr public_key;
    // The same key as encoded in the CSR, when known. The builder copies it
    // as is: X509_set_pubkey would re-encode public_key through the OpenSSL 3
    // encoder and decode it again, about a third of an enrollment's CPU. The
    // built certificate then has no decoded key (X509_get0_pubkey is null);
    // use public_key or X509_get_X509_PUBKEY instead.
    X509PubkeyPtr public_key_info;
    GeneralNamesPtr subject_alt_names;  // may be null
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point not_after;
    std::vector<std::string> extended_key_usages;  // short names (clientAuth) or dotted OIDs
    bool must_staple = false;
    std::vector<std::string> crl_distribution_points;
    std::vector<std::string> ocsp_urls;
    std::vector<std::string> ca_issuers_urls;
};

// A copy of the algorithm and key bytes of a SubjectPublicKeyInfo, without
// decoding the key; null when it cannot be copied.
X509PubkeyPtr copy_public_key_info(const X509_PUBKEY* from);

// Key usage for an end-entity key: digitalSignature always; keyEncipherment
// for RSA; keyAgreement for EC.
int key_usage_for(EVP_PKEY* subject_key);

// The digest matching the signing key (SHA-256 for P-256 and RSA, SHA-384
// for P-384, SHA-512 for P-521, none for Ed25519/Ed448).
const EVP_MD* signature_digest_for(EVP_PKEY* signing_key);

Result<X509Ptr> build_certificate(const CertificateTemplate& tmpl, X509* issuer_cert,
                                  EVP_PKEY* issuer_key);

}  // namespace estd::pki
