#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/csr.hpp"

namespace estd::policy {

// A certificate profile as enforced: what a CSR may ask for, and what every
// certificate of the profile gets. Immutable; shared by the EST profiles
// that name it. Refusals are 400 with audit code est_csr_policy_violation and
// a message naming the dimension (policy/violation.hpp). A CSR is never
// altered to fit: it passes as it is or is refused.
class CertificateProfile {
  public:
    explicit CertificateProfile(config::CertificateProfileConfig config);

    const std::string& id() const { return config_.id; }
    const config::CertificateProfileConfig& config() const { return config_; }
    // The configured lists, or the documented defaults when unset.
    const std::vector<config::KeyAlgorithm>& key_algorithms() const;
    const std::vector<config::ExtendedKeyUsage>& extended_key_usages() const;
    // What serverkeygen generates: the first allowed algorithm (RSA-2048 by default).
    const config::KeyAlgorithm& generated_key_algorithm() const { return key_algorithms().front(); }

    // The baseline under the profile's settings (policy/baseline.hpp: key
    // algorithm, size and RSA exponent, the CSR's signature digest, SAN
    // syntax, commonName), then check_request.
    Status check(const pki::Csr& csr) const;
    // Everything but the key: requested extensions (SAN, EKU, key usage,
    // basic constraints, must-staple, anything else), the commonName and the
    // required attributes.
    // serverkeygen runs it before generating a key for the request.
    Status check_request(const pki::Csr& csr) const;

    // The certificate for `csr`, checked first: subject (with the device
    // serial when it came as an attribute), the CSR's key and SANs, exactly
    // the profile's EKUs, must-staple when set, a validity within MAX_TTL.
    // Key usage fitting the key type is the builder's.
    Result<pki::CertificateTemplate> certificate_template(
        const pki::Csr& csr, std::chrono::seconds default_ttl,
        std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  private:
    config::CertificateProfileConfig config_;
};

}  // namespace estd::policy
