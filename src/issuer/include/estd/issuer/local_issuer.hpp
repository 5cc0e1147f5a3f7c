#pragma once

#include <memory>
#include <string>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/issuer/crl_signer.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/pki/handles.hpp"

namespace estd::issuer {

// A CA whose private key is a PEM file on disk. Immutable once loaded, so
// issue() may run on several threads at once.
class LocalIssuer final : public Issuer, public CrlSigner {
  public:
    // Reads cfg.ca_cert_path (the issuing CA first, then its issuers up to
    // the root) and cfg.ca_key_path. Refuses, naming the issuer and the file,
    // an unreadable or unparsable file, a key that does not match the CA
    // certificate, a certificate that is not a CA, and a chain out of order.
    static Result<std::unique_ptr<LocalIssuer>> load(const config::IssuerConfig& cfg);

    const std::string& id() const override { return id_; }
    const std::vector<pki::X509Ptr>& chain() const override { return chain_; }
    // The validity is clamped into the CA's own: NotBefore never before the
    // CA's NotBefore, NotAfter never after the CA's NotAfter.
    Result<pki::X509Ptr> issue(pki::CertificateTemplate tmpl) override;
    bool ready() const override { return true; }
    bool signs_in_memory() const override { return true; }
    Status with_signing_key(const KeyUse& use) override { return use(key_.get()); }

  private:
    // Only load() constructs, after every check has passed.
    struct Checked {};

  public:
    LocalIssuer(Checked, std::string id, std::vector<pki::X509Ptr> chain, pki::EvpPkeyPtr key)
        : id_(std::move(id)), chain_(std::move(chain)), key_(std::move(key)) {}

  private:
    std::string id_;
    std::vector<pki::X509Ptr> chain_;
    pki::EvpPkeyPtr key_;
};

}  // namespace estd::issuer
