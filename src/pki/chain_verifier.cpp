#include "estd/pki/chain_verifier.hpp"

#include <algorithm>

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace estd::pki {
namespace {

ChainVerdict one_problem(CertificateStatus status, std::string detail) {
    return ChainVerdict({{status, 0, std::move(detail)}});
}

// Records each error and lets the verification go on, so the verdict lists
// them all; the first is the one a stopping verification would report.
int collect_problem(int ok, X509_STORE_CTX* ctx) {
    if (ok == 1) {
        return 1;
    }
    auto* problems =
        static_cast<std::vector<CertificateProblem>*>(X509_STORE_CTX_get_app_data(ctx));
    const int code = X509_STORE_CTX_get_error(ctx);
    problems->push_back({certificate_status(code), X509_STORE_CTX_get_error_depth(ctx),
                         X509_verify_cert_error_string(code)});
    return 1;
}

}  // namespace

bool ChainVerdict::has(CertificateStatus status) const {
    return std::any_of(problems_.begin(), problems_.end(),
                       [status](const CertificateProblem& p) { return p.status == status; });
}

CertificateStatus certificate_status(int x509_verify_error) {
    switch (x509_verify_error) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_CERT_UNTRUSTED:
        case X509_V_ERR_CERT_REJECTED:
            return CertificateStatus::untrusted;
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return CertificateStatus::expired;
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return CertificateStatus::not_yet_valid;
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
        case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
            return CertificateStatus::signature_failure;
        case X509_V_ERR_INVALID_PURPOSE:
            return CertificateStatus::wrong_purpose;
        case X509_V_ERR_INVALID_CA:
        case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
            return CertificateStatus::invalid_ca;
        case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        case X509_V_ERR_CERT_CHAIN_TOO_LONG:
            return CertificateStatus::chain_too_long;
        case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
            return CertificateStatus::unknown_critical_extension;
        case X509_V_ERR_PERMITTED_VIOLATION:
        case X509_V_ERR_EXCLUDED_VIOLATION:
            return CertificateStatus::name_constraint_violation;
        case X509_V_ERR_EE_KEY_TOO_SMALL:
        case X509_V_ERR_CA_KEY_TOO_SMALL:
        case X509_V_ERR_CA_MD_TOO_WEAK:
            return CertificateStatus::too_weak;
        case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
        case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        case X509_V_ERR_INVALID_EXTENSION:
            return CertificateStatus::malformed;
        case X509_V_ERR_CERT_REVOKED:
            return CertificateStatus::revoked;
        default:
            return CertificateStatus::other;
    }
}

Result<ChainVerifier> ChainVerifier::from_certificates(std::vector<X509Ptr> anchors) {
    if (anchors.empty()) {
        return Error::internal("no trust anchors");
    }
    X509StorePtr store(X509_STORE_new());
    if (!store) {
        return Error::internal("out of memory building a trust store");
    }
    for (const auto& anchor : anchors) {
        if (X509_STORE_add_cert(store.get(), anchor.get()) != 1) {
            ERR_clear_error();  // a duplicate anchor is harmless
        }
    }
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    return ChainVerifier(std::move(store), std::move(anchors));
}

ChainVerdict ChainVerifier::verify(X509* leaf, STACK_OF(X509) * untrusted) const {
    if (leaf == nullptr) {
        return one_problem(CertificateStatus::no_certificate, "no certificate was presented");
    }
    // X509_PURPOSE_SSL_CLIENT does not look at the leaf's basicConstraints:
    // a CA's own certificate (and key) would otherwise pass as a client.
    if ((X509_get_extension_flags(leaf) & EXFLAG_CA) != 0) {
        return one_problem(CertificateStatus::ca_certificate,
                           "it is a CA certificate (basicConstraints CA:TRUE); a client "
                           "authenticates with an end-entity certificate");
    }
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), leaf, untrusted) != 1) {
        ERR_clear_error();
        return one_problem(CertificateStatus::verification_failed,
                           "cannot initialise certificate verification");
    }
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
    std::vector<CertificateProblem> problems;
    X509_STORE_CTX_set_app_data(ctx.get(), &problems);
    X509_STORE_CTX_set_verify_cb(ctx.get(), collect_problem);
    const int verified = X509_verify_cert(ctx.get());
    if (verified != 1 && problems.empty()) {
        // Failures that are not about a certificate (out of memory) skip the callback.
        const int code = X509_STORE_CTX_get_error(ctx.get());
        problems.push_back(
            {code == X509_V_OK ? CertificateStatus::verification_failed : certificate_status(code),
             X509_STORE_CTX_get_error_depth(ctx.get()), X509_verify_cert_error_string(code)});
    }
    ERR_clear_error();
    return ChainVerdict(std::move(problems));
}

}  // namespace estd::pki
