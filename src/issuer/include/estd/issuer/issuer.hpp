#pragma once

#include <memory>
#include <string>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/handles.hpp"

namespace estd::issuer {

// A certificate authority that estd signs with. Backends (a key file, a
// PKCS#11 token) differ only in where the key lives. Signing CRLs and OCSP
// responses is a capability of its own (crl_signer.hpp).
class Issuer {
  public:
    virtual ~Issuer() = default;
    virtual const std::string& id() const = 0;
    // The issuing CA certificate first, then its intermediates up to the root
    // when the configuration carried them.
    virtual const std::vector<pki::X509Ptr>& chain() const = 0;
    // Signs an end-entity certificate. NotAfter is capped at the CA's own.
    virtual Result<pki::X509Ptr> issue(pki::CertificateTemplate tmpl) = 0;
    virtual bool ready() const = 0;
    // True when issue() only computes, its key in this process's memory: it
    // may run on a thread that must never wait (an I/O thread).
    virtual bool signs_in_memory() const { return false; }

    X509* ca_certificate() const { return chain().front().get(); }

    // During a root key update: the link certificates between the old and
    // the new root (and the other root), published by cacerts after chain()
    // (RFC 7030 §4.1.3). Empty otherwise. Checked by make_issuer.
    const std::vector<pki::X509Ptr>& rollover_certificates() const { return rollover_; }
    void set_rollover_certificates(std::vector<pki::X509Ptr> certs) {
        rollover_ = std::move(certs);
    }

  private:
    std::vector<pki::X509Ptr> rollover_;
};

// Builds the backend named by `cfg.type` and loads its rollover certificates
// (cfg.ca_rollover_certs_path, pki::check_rollover_certificates); errors name
// the issuer and what is wrong (unreadable file, key not matching the
// certificate, a rollover certificate that is no link, ...).
Result<std::unique_ptr<Issuer>> make_issuer(const config::IssuerConfig& cfg);

}  // namespace estd::issuer
