#include "estd/issuer/local_issuer.hpp"

#include <algorithm>

#include <openssl/err.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/certificate_builder.hpp"

namespace estd::issuer {

Result<std::unique_ptr<LocalIssuer>> LocalIssuer::load(const config::IssuerConfig& cfg) {
    const std::string prefix = "issuer " + cfg.id + ": ";
    if (cfg.ca_cert_path.empty() || cfg.ca_key_path.empty()) {
        return Error::internal(prefix +
                               "a local issuer needs both a CA certificate file and a "
                               "CA key file");
    }
    auto chain = pki::load_certificates_file(cfg.ca_cert_path);
    if (!chain) {
        return Error::internal(prefix + "CA certificate: " + chain.error().message);
    }
    auto key = pki::load_private_key_file(cfg.ca_key_path);
    if (!key) {
        return Error::internal(prefix + "CA key: " + key.error().message);
    }

    X509* ca = chain->front().get();
    if (!pki::same_public_key(X509_get0_pubkey(ca), key->get())) {
        std::string hint;
        for (std::size_t i = 1; i < chain->size(); ++i) {
            if (pki::same_public_key(X509_get0_pubkey((*chain)[i].get()), key->get())) {
                hint = " (it matches certificate " + pki::chain_position(i) +
                       ": the issuing CA must come first in the file)";
            }
        }
        return Error::internal(prefix + "the private key in " + cfg.ca_key_path +
                               " does not match the CA certificate in " + cfg.ca_cert_path + hint);
    }
    if (!pki::is_ca(ca)) {
        return Error::internal(prefix + "the certificate in " + cfg.ca_cert_path + " (" +
                               pki::name_to_string(X509_get_subject_name(ca)) +
                               ") is not a CA: it needs basicConstraints CA:TRUE and, when "
                               "keyUsage is present, keyCertSign");
    }
    if (auto ordered = pki::check_chain_order(prefix, cfg.ca_cert_path, *chain); !ordered) {
        return std::move(ordered).take_error();
    }
    // X509_check_ca and X509_check_issued have cached every certificate's
    // extensions, so concurrent issue() calls only read them.
    ERR_clear_error();
    return std::make_unique<LocalIssuer>(Checked{}, cfg.id, std::move(chain).value(),
                                         std::move(key).value());
}

Result<pki::X509Ptr> LocalIssuer::issue(pki::CertificateTemplate tmpl) {
    X509* ca = ca_certificate();
    const auto ca_not_before = pki::not_before(ca);
    const auto ca_not_after = pki::not_after(ca);
    tmpl.not_before = std::max(tmpl.not_before, ca_not_before);
    tmpl.not_after = std::min(tmpl.not_after, ca_not_after);
    if (tmpl.not_after <= tmpl.not_before) {
        return Error::internal("issuer " + id_ +
                               ": no validity left to give: the CA certificate is valid only "
                               "until its NotAfter, which is not after the requested NotBefore");
    }
    auto cert = pki::build_certificate(tmpl, ca, key_.get());
    if (!cert) {
        Error error = std::move(cert).take_error();
        error.message = "issuer " + id_ + ": " + error.message;
        return error;
    }
    return cert;
}

}  // namespace estd::issuer
