#include "estd/revocation/ocsp_responder.hpp"

#include <spdlog/spdlog.h>

namespace estd::revocation {

pki::OcspAnswer ocsp_answer_for(const std::optional<store::CertificateRecord>& record) {
    pki::OcspAnswer answer;
    if (!record) {
        answer.status = pki::OcspCertStatus::unknown;
    } else if (record->revocation) {
        answer.status = pki::OcspCertStatus::revoked;
        answer.revoked_at = record->revocation->revoked_at;
        answer.reason = record->revocation->reason;
    } else {
        answer.status = pki::OcspCertStatus::good;
    }
    return answer;
}

OcspResponder::OcspResponder(std::vector<issuer::CrlSigningIssuer> issuers,
                             store::CertificateInventory& certificates,
                             std::chrono::seconds validity)
    : issuers_(std::move(issuers)), certificates_(certificates), validity_(validity) {
}

const issuer::CrlSigningIssuer* OcspResponder::issuer_of(const pki::OcspRequest& request,
                                                         std::size_t index) const {
    for (const auto& issuer : issuers_) {
        if (request.issued_by(index, issuer.ca_certificate())) {
            return &issuer;
        }
    }
    return nullptr;
}

pki::Bytes OcspResponder::respond(std::span<const std::uint8_t> request_der) {
    auto request = pki::OcspRequest::from_der(request_der, kMaxCertIds);
    if (!request) {
        return pki::ocsp_failure_response(pki::OcspFailure::malformed_request);
    }
    // One signature per response: the issuer of the first CertID signs, and
    // CertIDs of other issuers are answered unknown.
    const issuer::CrlSigningIssuer* signer = issuer_of(*request, 0);
    if (signer == nullptr) {
        return pki::ocsp_failure_response(pki::OcspFailure::unauthorized);
    }
    std::vector<pki::OcspAnswer> answers;
    for (std::size_t i = 0; i < request->size(); ++i) {
        if (issuer_of(*request, i) != signer) {
            answers.push_back({});
            continue;
        }
        auto record = certificates_.find_certificate(signer->id(), request->serial_hex(i));
        if (!record) {
            spdlog::error("OCSP: {}", record.error().message);
            return pki::ocsp_failure_response(pki::OcspFailure::try_later);
        }
        answers.push_back(ocsp_answer_for(*record));
    }
    const auto now = std::chrono::system_clock::now();
    std::vector<X509*> extra;
    pki::Bytes response;
    auto signed_response = signer->with_signing_key([&](EVP_PKEY* key) -> Status {
        auto built = pki::build_ocsp_response(*request, answers, signer->ca_certificate(), key,
                                              extra, now, now + validity_);
        if (!built) {
            return std::move(built).take_error();
        }
        response = std::move(*built);
        return Ok{};
    });
    if (!signed_response) {
        spdlog::error("OCSP: {}", signed_response.error().message);
        return pki::ocsp_failure_response(pki::OcspFailure::internal_error);
    }
    return response;
}

}  // namespace estd::revocation
