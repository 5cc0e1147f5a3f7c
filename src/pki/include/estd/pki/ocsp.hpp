#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <openssl/ocsp.h>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

using OcspRequestPtr = OpenSslPtr<OCSP_REQUEST, OCSP_REQUEST_free>;

// RFC 6960 OCSPResponseStatus values other than successful.
enum class OcspFailure {
    malformed_request = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
    internal_error = OCSP_RESPONSE_STATUS_INTERNALERROR,
    try_later = OCSP_RESPONSE_STATUS_TRYLATER,
    unauthorized = OCSP_RESPONSE_STATUS_UNAUTHORIZED,
};

enum class OcspCertStatus { good, revoked, unknown };

struct OcspAnswer {
    OcspCertStatus status = OcspCertStatus::unknown;
    std::chrono::system_clock::time_point revoked_at;  // revoked only
    int reason = 0;                                    // revoked only: CRLReason
};

// A parsed OCSPRequest: one CertID per certificate asked about.
class OcspRequest {
  public:
    // At most `max_ids` CertIDs are accepted: a request is bounded work.
    static Result<OcspRequest> from_der(std::span<const std::uint8_t> der, std::size_t max_ids);

    std::size_t size() const;
    // True when CertID `index` names `issuer` (its name and key hashes, with
    // the hash algorithm the request chose).
    bool issued_by(std::size_t index, X509* issuer) const;
    std::string serial_hex(std::size_t index) const;  // as pki::serial_hex
    OCSP_REQUEST* get() const { return request_.get(); }

  private:
    explicit OcspRequest(OcspRequestPtr request) : request_(std::move(request)) {}
    OcspRequestPtr request_;
};

// A successful response: one SingleResponse per CertID of the request, in
// order (answers.size() == request.size()), the request's nonce echoed,
// signed by `signer` (the issuing CA or a delegated responder) whose
// certificate is included together with `extra_certs`.
Result<Bytes> build_ocsp_response(const OcspRequest& request,
                                  const std::vector<OcspAnswer>& answers, X509* signer,
                                  EVP_PKEY* key, const std::vector<X509*>& extra_certs,
                                  std::chrono::system_clock::time_point this_update,
                                  std::chrono::system_clock::time_point next_update);

// An unsigned error response (RFC 6960 §2.3).
Bytes ocsp_failure_response(OcspFailure failure);

}  // namespace estd::pki
