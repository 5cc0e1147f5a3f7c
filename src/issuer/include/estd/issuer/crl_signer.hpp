#pragma once

#include <functional>
#include <string>

#include "estd/core/error.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/pki/handles.hpp"

namespace estd::issuer {

// What an Issuer backend may also do: sign what the CA publishes itself
// (CRLs, OCSP responses). Optional, so a backend that cannot is known when
// the revocation services are built, at boot, not at the first CRL. The
// local and PKCS#11 issuers implement it.
class CrlSigner {
  public:
    virtual ~CrlSigner() = default;

    // The key is lent, never handed out: `use` gets the CA key (a token
    // backend lends a provider-backed key and holds its session for the
    // duration) and must not keep it. pki::build_crl and
    // pki::build_ocsp_response take exactly that key.
    using KeyUse = std::function<Status(EVP_PKEY* ca_key)>;
    virtual Status with_signing_key(const KeyUse& use) = 0;
};

// An issuer with its CRL signer: what the CRL publisher and the OCSP
// responder sign with.
class CrlSigningIssuer {
  public:
    CrlSigningIssuer(const Issuer& issuer, CrlSigner& signer)
        : issuer_(&issuer), signer_(&signer) {}

    const std::string& id() const { return issuer_->id(); }
    X509* ca_certificate() const { return issuer_->ca_certificate(); }
    Status with_signing_key(const CrlSigner::KeyUse& use) const {
        return signer_->with_signing_key(use);
    }

  private:
    const Issuer* issuer_;
    CrlSigner* signer_;
};

// `issuer` with its CrlSigner; an error naming the issuer when its backend
// cannot sign CRLs and OCSP responses.
Result<CrlSigningIssuer> crl_signing(Issuer& issuer);

}  // namespace estd::issuer
