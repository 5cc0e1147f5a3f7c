#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <vector>

#include "estd/issuer/crl_signer.hpp"
#include "estd/pki/ocsp.hpp"
#include "estd/store/certificate_inventory.hpp"

namespace estd::revocation {

// What the store says about one certificate, as OCSP says it: absent is
// unknown (we did not issue it), revoked carries its reason and time,
// anything else is good (expiry is the relying party's check).
pki::OcspAnswer ocsp_answer_for(const std::optional<store::CertificateRecord>& record);

// RFC 6960 responder for every issuer, answering from the inventory (not
// from the last CRL), so a revocation shows at once. Responses are signed by the
// issuer the request names.
class OcspResponder {
  public:
    static constexpr std::size_t kMaxCertIds = 16;

    OcspResponder(std::vector<issuer::CrlSigningIssuer> issuers,
                  store::CertificateInventory& certificates, std::chrono::seconds validity);

    // A DER OCSPResponse for a DER OCSPRequest, always: failures are OCSP
    // error statuses (malformedRequest, unauthorized, internalError), as the
    // RFC wants them, not HTTP errors.
    pki::Bytes respond(std::span<const std::uint8_t> request_der);

  private:
    const issuer::CrlSigningIssuer* issuer_of(const pki::OcspRequest& request,
                                              std::size_t index) const;

    std::vector<issuer::CrlSigningIssuer> issuers_;
    store::CertificateInventory& certificates_;
    std::chrono::seconds validity_;
};

}  // namespace estd::revocation
