#pragma once

#include <memory>
#include <optional>
#include <string>

#include "estd/config/config.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/pki/chain_verifier.hpp"

namespace estd::est {

// An EST profile as served: its configuration, its issuer, and what can be
// computed once at boot.
struct EstProfile {
    config::EstProfileConfig config;
    issuer::Issuer* issuer = nullptr;
    std::string cacerts_body;  // base64 certs-only of the issuer's chain
    // Verifies certificates this profile's CA issued (simplereenroll).
    std::optional<pki::ChainVerifier> issued_by_profile_ca;
    // Verifies mTLS client certificates against the profile's trust bundle.
    std::optional<pki::ChainVerifier> mtls_trust;

    const std::string& name() const { return config.path_id; }
};

Result<EstProfile> make_est_profile(const config::EstProfileConfig& cfg, issuer::Issuer& issuer);

}  // namespace estd::est
