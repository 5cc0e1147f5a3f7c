#pragma once

#include <memory>
#include <string>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/est/est_profile.hpp"
#include "estd/issuer/crl_signer.hpp"
#include "estd/issuer/issuer.hpp"

namespace estd::app {

// What the configuration turns into once its files are loaded: the issuers
// and the EST profiles bound to them.
struct Runtime {
    std::vector<std::unique_ptr<issuer::Issuer>> issuers;
    // Every issuer, as what signs its CRLs and OCSP responses: an issuer
    // that cannot is a boot problem, since its certificates point at them.
    std::vector<issuer::CrlSigningIssuer> crl_signers;
    std::vector<est::EstProfile> profiles;
};

struct RuntimeBuild {
    std::unique_ptr<Runtime> runtime;   // null when problems is not empty
    std::vector<std::string> problems;  // every one, not only the first
};

RuntimeBuild build_runtime(const config::Config& cfg);

// Certificates whose subject says DEV-ONLY (scripts/dev-pki.sh makes them).
std::vector<std::string> dev_only_material(const config::Config& cfg, const Runtime& runtime);

}  // namespace estd::app
