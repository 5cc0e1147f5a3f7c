#pragma once

#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// Why a certificate chain does not verify, named as Botan's
// Certificate_Status_Code names it. What a failure means for the request
// (a refusal, and which) is the caller's to decide.
enum class CertificateStatus {
    no_certificate,              // nothing was presented
    ca_certificate,              // the leaf says basicConstraints CA:TRUE
    untrusted,                   // no path to an anchor
    expired,                     // of the leaf or of an issuer
    not_yet_valid,               //
    signature_failure,           // a signature in the chain does not verify
    wrong_purpose,               // not for TLS client authentication
    invalid_ca,                  // an issuer that may not issue certificates
    chain_too_long,              // a pathLenConstraint or the depth limit
    unknown_critical_extension,  //
    name_constraint_violation,   //
    too_weak,                    // a key or signature hash below the security level
    malformed,                   // a field OpenSSL cannot read (times, extensions)
    revoked,                     // (estd checks revocation against its inventory instead)
    other,                       // any other X509_V_ERR_*
    verification_failed,         // verification could not run at all
};

struct CertificateProblem {
    CertificateStatus status = CertificateStatus::other;
    int depth = 0;       // where in the chain: 0 is the leaf
    std::string detail;  // what OpenSSL says (X509_verify_cert_error_string), or ours
};

// Every problem the verification met, the one that ends an OpenSSL
// verification first.
class ChainVerdict {
  public:
    ChainVerdict() = default;
    explicit ChainVerdict(std::vector<CertificateProblem> problems)
        : problems_(std::move(problems)) {}

    bool ok() const { return problems_.empty(); }
    explicit operator bool() const { return ok(); }
    const std::vector<CertificateProblem>& problems() const { return problems_; }
    bool has(CertificateStatus status) const;

  private:
    std::vector<CertificateProblem> problems_;
};

// The status an OpenSSL verification error code (X509_V_ERR_*) stands for.
CertificateStatus certificate_status(int x509_verify_error);

// A set of trust anchors that verifies client certificate chains at the
// current time. Immutable after construction, so it is shared across
// threads without locks and swapped whole on reload.
class ChainVerifier {
  public:
    // Anchors may be intermediates: a chain ending at any of them verifies.
    static Result<ChainVerifier> from_certificates(std::vector<X509Ptr> anchors);

    ChainVerdict verify(X509* leaf, STACK_OF(X509) * untrusted) const;
    const std::vector<X509Ptr>& anchors() const { return anchors_; }

  private:
    ChainVerifier(X509StorePtr store, std::vector<X509Ptr> anchors)
        : store_(std::move(store)), anchors_(std::move(anchors)) {}
    X509StorePtr store_;
    std::vector<X509Ptr> anchors_;
};

}  // namespace estd::pki
