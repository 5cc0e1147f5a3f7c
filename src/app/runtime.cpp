#include "runtime.hpp"

#include <map>
#include <memory>

#include "estd/pki/certificate.hpp"
#include "estd/policy/certificate_profile.hpp"

namespace estd::app {
namespace {

bool says_dev_only(X509* cert) {
    return pki::name_to_string(X509_get_subject_name(cert)).find("DEV-ONLY") != std::string::npos;
}

// One enforcer per certificate profile, shared by the EST profiles naming it.
std::shared_ptr<const policy::CertificateProfile> certificate_profile_for(
    const config::Config& cfg, const std::string& id,
    std::map<std::string, std::shared_ptr<const policy::CertificateProfile>>& built) {
    if (id.empty()) {
        return nullptr;
    }
    if (auto found = built.find(id); found != built.end()) {
        return found->second;
    }
    const config::CertificateProfileConfig* profile_cfg = cfg.find_certificate_profile(id);
    if (profile_cfg == nullptr) {
        return nullptr;  // config refused the reference already
    }
    auto profile = std::make_shared<const policy::CertificateProfile>(*profile_cfg);
    built.emplace(id, profile);
    return profile;
}

}  // namespace

RuntimeBuild build_runtime(const config::Config& cfg) {
    RuntimeBuild build;
    auto runtime = std::make_unique<Runtime>();
    for (const auto& issuer_cfg : cfg.issuers) {
        auto issuer = issuer::make_issuer(issuer_cfg);
        if (!issuer) {
            build.problems.push_back(issuer.error().message);
            continue;
        }
        auto signing = issuer::crl_signing(**issuer);
        if (!signing) {
            build.problems.push_back(signing.error().message);
            continue;
        }
        runtime->crl_signers.push_back(*signing);
        runtime->issuers.push_back(std::move(*issuer));
    }
    std::map<std::string, std::shared_ptr<const policy::CertificateProfile>> certificate_profiles;
    for (const auto& profile_cfg : cfg.est_profiles) {
        issuer::Issuer* bound = nullptr;
        for (const auto& candidate : runtime->issuers) {
            if (candidate->id() == profile_cfg.issuer_id) {
                bound = candidate.get();
            }
        }
        if (bound == nullptr) {
            continue;  // the issuer's own problem is already reported
        }
        const est::EstProfileBindings bindings{
            certificate_profile_for(cfg, profile_cfg.profile_id, certificate_profiles),
            cfg.public_base_url};
        auto profile = est::make_est_profile(profile_cfg, *bound, bindings);
        if (!profile) {
            build.problems.push_back(profile.error().message);
            continue;
        }
        runtime->profiles.push_back(std::move(*profile));
    }
    if (build.problems.empty()) {
        build.runtime = std::move(runtime);
    }
    return build;
}

std::vector<std::string> dev_only_material(const config::Config& cfg, const Runtime& runtime) {
    std::vector<std::string> found;
    for (const auto& issuer : runtime.issuers) {
        if (says_dev_only(issuer->ca_certificate())) {
            found.push_back("issuer " + issuer->id() + " (" +
                            pki::name_to_string(X509_get_subject_name(issuer->ca_certificate())) +
                            ")");
        }
    }
    if (auto tls = pki::load_certificates_file(cfg.listener.tls_cert_path);
        tls && !tls->empty() && says_dev_only(tls->front().get())) {
        found.push_back("TLS server certificate " + cfg.listener.tls_cert_path);
    }
    return found;
}

}  // namespace estd::app
