// CSR parsing and its proof-of-possession check on the bytes as given, then
// the same request re-signed (so a mutated request gets past the signature)
// through everything that reads a CSR: attributes, the certificate profile
// checks and template, the plain template, the serverkeygen rebuild.
#include <chrono>

#include <openssl/objects.h>

#include "estd/est/enrollment.hpp"
#include "estd/est/wire.hpp"
#include "estd/pki/csr.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "support/fuzz_support.hpp"
#include "support/profiles.hpp"

namespace {

using estd::pki::Csr;

void read_attributes(const Csr& csr) {
    (void)csr.subject();
    (void)csr.requested_extensions();
    (void)csr.subject_alt_names();
    (void)csr.subject_alt_name_strings();
    (void)csr.challenge_password();
    (void)csr.octet_string_attribute("1.2.840.113549.1.9.16.2.56");
    (void)csr.text_attribute(NID_serialNumber);
    (void)csr.has_attribute(NID_pkcs9_challengePassword);
}

void apply_policies(const Csr& csr) {
    static const estd::policy::CertificateProfile strict(estd::fuzz::strict_certificate_profile());
    static const estd::policy::CertificateProfile open(estd::fuzz::open_certificate_profile());
    const auto ttl = std::chrono::hours(24 * 365);
    for (const auto* profile : {&strict, &open}) {
        (void)profile->check(csr);
        (void)profile->certificate_template(csr, ttl);
    }
    (void)estd::est::template_from_csr(csr, ttl);
    (void)estd::est::check_reenroll_matches(csr, estd::fuzz::test_pki().ca_cert.get());
}

// Keys of each kind a profile may allow; which one by the input's size so
// every kind is reached.
EVP_PKEY* signing_key(std::size_t size) {
    auto& pki = estd::fuzz::test_pki();
    EVP_PKEY* keys[] = {pki.ec_key.get(), pki.ed25519_key.get(), pki.rsa_key.get()};
    return keys[size % 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto der = estd::est::decode_request_body(estd::fuzz::input_text(data, size));
    if (!der) {
        return 0;
    }
    if (auto csr = Csr::from_der(*der)) {
        read_attributes(*csr);
    }
    const auto resigned = estd::fuzz::resigned_csr(*der, signing_key(size));
    if (!resigned) {
        return 0;
    }
    auto csr = Csr::from_der(*resigned);
    if (!csr) {
        return 0;
    }
    read_attributes(*csr);
    apply_policies(*csr);
    (void)csr->rebuilt_for_key(estd::fuzz::test_pki().ec_key.get());
    return 0;
}
