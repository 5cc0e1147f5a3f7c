#pragma once

#include <memory>
#include <optional>
#include <string>

#include "estd/auth/profile_auth.hpp"
#include "estd/config/config.hpp"
#include "estd/est/wire.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/pki/chain_verifier.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "estd/policy/publication_urls.hpp"

namespace estd::est {

// An EST profile as served: its configuration, its issuer, and what can be
// computed once at boot.
struct EstProfile {
    config::EstProfileConfig config;
    issuer::Issuer* issuer = nullptr;
    Base64Answer cacerts_body;  // base64 certs-only of the issuer's chain
    // Verifies certificates this profile's CA issued (simplereenroll).
    std::optional<pki::ChainVerifier> issued_by_profile_ca;
    // Who may call: Basic gate, failed-Basic limiter, the mTLS trust bundle
    // (reloadable), per-principal limit, channel binding. Never null for a
    // profile made by make_est_profile; shared so EstProfile stays copyable.
    std::shared_ptr<auth::ProfileAuth> auth;
    // The certificate profile PROFILE_ID names, shared by the EST profiles
    // naming it; null when none (then nothing is enforced and certificates
    // get clientAuth + serverAuth).
    std::shared_ptr<const policy::CertificateProfile> certificate_profile;
    // CRL distribution point and AIA URLs of this profile's issuer.
    policy::PublicationUrls publication_urls;
    // The csrattrs answer: base64 DER CsrAttrs; empty means 204.
    Base64Answer csrattrs_body;

    const std::string& name() const { return config.path_id; }
};

// What an EST profile is bound to besides its issuer.
struct EstProfileBindings {
    std::shared_ptr<const policy::CertificateProfile> certificate_profile;  // null: none
    std::string public_base_url;  // CERTCTL_PUBLIC_BASE_URL; empty: no CRL/AIA URLs
};

Result<EstProfile> make_est_profile(const config::EstProfileConfig& cfg, issuer::Issuer& issuer,
                                    const EstProfileBindings& bindings = {});

}  // namespace estd::est
