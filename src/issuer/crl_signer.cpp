#include "estd/issuer/crl_signer.hpp"

namespace estd::issuer {

Result<CrlSigningIssuer> crl_signing(Issuer& issuer) {
    auto* signer = dynamic_cast<CrlSigner*>(&issuer);
    if (signer == nullptr) {
        return Error::internal("issuer " + issuer.id() + " cannot sign CRLs or OCSP responses");
    }
    return CrlSigningIssuer(issuer, *signer);
}

}  // namespace estd::issuer
