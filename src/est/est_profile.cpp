#include "estd/est/est_profile.hpp"

#include "estd/est/wire.hpp"
#include "estd/pki/certificate.hpp"

namespace estd::est {

Result<EstProfile> make_est_profile(const config::EstProfileConfig& cfg, issuer::Issuer& issuer) {
    EstProfile profile;
    profile.config = cfg;
    profile.issuer = &issuer;

    std::vector<X509*> chain;
    for (const auto& cert : issuer.chain()) {
        chain.push_back(cert.get());
    }
    auto body = certs_only_body(chain);
    if (!body) {
        return std::move(body).take_error();
    }
    profile.cacerts_body = std::move(*body);

    std::vector<pki::X509Ptr> issuing_ca;
    issuing_ca.push_back(pki::share(issuer.ca_certificate()));
    auto issued = pki::ChainVerifier::from_certificates(std::move(issuing_ca));
    if (!issued) {
        return std::move(issued).take_error();
    }
    profile.issued_by_profile_ca.emplace(std::move(*issued));

    if (cfg.auth_mtls) {
        auto anchors = pki::load_certificates_file(cfg.mtls_trust_bundle_path);
        if (!anchors) {
            return Error::internal("EST profile " + cfg.display_name() + ": " + cfg.env_prefix +
                                   "MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: " + anchors.error().message);
        }
        auto verifier = pki::ChainVerifier::from_certificates(std::move(*anchors));
        if (!verifier) {
            return std::move(verifier).take_error();
        }
        profile.mtls_trust.emplace(std::move(*verifier));
    }
    return profile;
}

}  // namespace estd::est
