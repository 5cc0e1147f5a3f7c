#include "estd/est/est_profile.hpp"

#include "estd/auth/channel_binding.hpp"
#include "estd/est/wire.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/pkcs7.hpp"
#include "estd/policy/csr_attributes.hpp"

namespace estd::est {

namespace {

// Computed once: the answer depends only on the configuration.
Result<Base64Answer> csrattrs_body(const policy::CertificateProfile* certificate_profile,
                                   bool channel_binding_required) {
    auto der = policy::csr_attributes_der(certificate_profile, channel_binding_required);
    if (!der) {
        return std::move(der).take_error();
    }
    return Base64Answer::of(*der);
}

}  // namespace

Result<EstProfile> make_est_profile(const config::EstProfileConfig& cfg, issuer::Issuer& issuer,
                                    const EstProfileBindings& bindings) {
    EstProfile profile;
    profile.config = cfg;
    profile.issuer = &issuer;

    std::vector<X509*> chain;
    for (const auto& cert : issuer.chain()) {
        chain.push_back(cert.get());
    }
    // RFC 7030 §4.1.3: during a root key update, OldWithNew and NewWithOld.
    for (const auto& cert : issuer.rollover_certificates()) {
        chain.push_back(cert.get());
    }
    auto der = pki::certs_only_der(chain);
    if (!der) {
        return std::move(der).take_error();
    }
    profile.cacerts_body = Base64Answer::of(*der);

    std::vector<pki::X509Ptr> issuing_ca;
    issuing_ca.push_back(pki::share(issuer.ca_certificate()));
    auto issued = pki::ChainVerifier::from_certificates(std::move(issuing_ca));
    if (!issued) {
        return std::move(issued).take_error();
    }
    profile.issued_by_profile_ca.emplace(std::move(*issued));

    auto gates = auth::make_profile_auth(cfg);
    if (!gates) {
        return std::move(gates).take_error();
    }
    profile.auth = std::move(*gates);

    profile.certificate_profile = bindings.certificate_profile;
    profile.publication_urls = policy::publication_urls(bindings.public_base_url, cfg.issuer_id);
    auto attrs =
        csrattrs_body(profile.certificate_profile.get(), auth::requires_challenge_password(cfg));
    if (!attrs) {
        return std::move(attrs).take_error();
    }
    profile.csrattrs_body = std::move(*attrs);
    return profile;
}

}  // namespace estd::est
