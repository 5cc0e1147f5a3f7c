#include "estd/pki/ocsp.hpp"

#include <openssl/err.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/openssl_error.hpp"

namespace estd::pki {
namespace {

using OcspBasicRespPtr = OpenSslPtr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using OcspResponsePtr = OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using OcspCertIdPtr = OpenSslPtr<OCSP_CERTID, OCSP_CERTID_free>;

Error ocsp_error(const std::string& what) {
    return Error::internal("OCSP: " + what + ": " + drain_openssl_errors());
}

OCSP_CERTID* cert_id(OCSP_REQUEST* request, std::size_t index) {
    return OCSP_onereq_get0_id(OCSP_request_onereq_get0(request, static_cast<int>(index)));
}

Bytes encode(OCSP_RESPONSE* response) {
    unsigned char* raw = nullptr;
    const int length = i2d_OCSP_RESPONSE(response, &raw);
    if (length <= 0) {
        return {};
    }
    const OpenSslBuffer<unsigned char> der(raw);
    return Bytes(der.get(), der.get() + length);
}

int openssl_status(OcspCertStatus status) {
    switch (status) {
        case OcspCertStatus::good:
            return V_OCSP_CERTSTATUS_GOOD;
        case OcspCertStatus::revoked:
            return V_OCSP_CERTSTATUS_REVOKED;
        case OcspCertStatus::unknown:
            break;
    }
    return V_OCSP_CERTSTATUS_UNKNOWN;
}

Status add_answers(OCSP_BASICRESP* basic, const OcspRequest& request,
                   const std::vector<OcspAnswer>& answers, ASN1_TIME* this_update,
                   ASN1_TIME* next_update) {
    for (std::size_t i = 0; i < answers.size(); ++i) {
        const auto& answer = answers[i];
        Asn1TimePtr revoked_at;
        if (answer.status == OcspCertStatus::revoked) {
            revoked_at.reset(
                ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(answer.revoked_at)));
        }
        if (OCSP_basic_add1_status(basic, cert_id(request.get(), i), openssl_status(answer.status),
                                   answer.reason, revoked_at.get(), this_update,
                                   next_update) == nullptr) {
            return ocsp_error("cannot add a status");
        }
    }
    return Ok{};
}

}  // namespace

Result<OcspRequest> OcspRequest::from_der(std::span<const std::uint8_t> der, std::size_t max_ids) {
    const unsigned char* cursor = der.data();
    OcspRequestPtr request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(der.size())));
    if (!request || cursor != der.data() + der.size()) {
        ERR_clear_error();
        return Error::bad_request("not a DER OCSPRequest");
    }
    const int count = OCSP_request_onereq_count(request.get());
    if (count <= 0 || static_cast<std::size_t>(count) > max_ids) {
        return Error::bad_request("an OCSPRequest must ask about 1 to " + std::to_string(max_ids) +
                                  " certificates");
    }
    return OcspRequest(std::move(request));
}

std::size_t OcspRequest::size() const {
    return static_cast<std::size_t>(OCSP_request_onereq_count(request_.get()));
}

bool OcspRequest::issued_by(std::size_t index, X509* issuer) const {
    OCSP_CERTID* id = cert_id(request_.get(), index);
    ASN1_OBJECT* md_oid = nullptr;
    if (OCSP_id_get0_info(nullptr, &md_oid, nullptr, nullptr, id) != 1) {
        return false;
    }
    const EVP_MD* md = EVP_get_digestbyobj(md_oid);
    if (md == nullptr) {
        ERR_clear_error();
        return false;
    }
    // Same hash algorithm, so the name and key hashes compare directly.
    const OcspCertIdPtr ours(OCSP_cert_to_id(md, nullptr, issuer));
    const bool same = ours && OCSP_id_issuer_cmp(ours.get(), id) == 0;
    ERR_clear_error();
    return same;
}

std::string OcspRequest::serial_hex(std::size_t index) const {
    ASN1_INTEGER* serial = nullptr;
    if (OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, cert_id(request_.get(), index)) !=
            1 ||
        serial == nullptr) {
        return {};
    }
    if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) {
        return {};
    }
    return integer_hex(serial);
}

Result<Bytes> build_ocsp_response(const OcspRequest& request,
                                  const std::vector<OcspAnswer>& answers, X509* signer,
                                  EVP_PKEY* key, const std::vector<X509*>& extra_certs,
                                  std::chrono::system_clock::time_point this_update,
                                  std::chrono::system_clock::time_point next_update) {
    if (answers.size() != request.size()) {
        return Error::internal("OCSP: one answer per request is needed");
    }
    OcspBasicRespPtr basic(OCSP_BASICRESP_new());
    const Asn1TimePtr this_time(
        ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(this_update)));
    const Asn1TimePtr next_time(
        ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(next_update)));
    if (!basic || !this_time || !next_time) {
        return ocsp_error("out of memory");
    }
    if (auto added = add_answers(basic.get(), request, answers, this_time.get(), next_time.get());
        !added) {
        return std::move(added).take_error();
    }
    // 2 means the request had no nonce, which is fine.
    if (OCSP_copy_nonce(basic.get(), request.get()) <= 0) {
        return ocsp_error("cannot echo the nonce");
    }
    X509StackPtr certs(sk_X509_new_null());
    for (X509* cert : extra_certs) {
        if (!certs || sk_X509_push(certs.get(), X509_dup(cert)) <= 0) {
            return ocsp_error("out of memory");
        }
    }
    EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
    if (!md_ctx ||
        EVP_DigestSignInit(md_ctx.get(), nullptr, signature_digest_for(key), nullptr, key) != 1 ||
        OCSP_basic_sign_ctx(basic.get(), signer, md_ctx.get(), certs.get(), 0) != 1) {
        return ocsp_error("cannot sign");
    }
    const OcspResponsePtr response(
        OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    if (!response) {
        return ocsp_error("cannot build the response");
    }
    auto der = encode(response.get());
    if (der.empty()) {
        return ocsp_error("cannot encode the response");
    }
    return der;
}

Bytes ocsp_failure_response(OcspFailure failure) {
    const OcspResponsePtr response(OCSP_response_create(static_cast<int>(failure), nullptr));
    return response ? encode(response.get()) : Bytes();
}

}  // namespace estd::pki
