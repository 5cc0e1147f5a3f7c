#pragma once

// Private to src/est: the refusal of a client certificate, shared by the
// route gate (est_service.cpp) and the inventory checks (inventory.cpp).

#include <string>
#include <utility>

#include "estd/audit/audit_codes.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/chain_verifier.hpp"

namespace estd::est {

inline Error mtls_refusal(std::string message) {
    return Error{ErrorKind::unauthorized, std::string(audit::codes::kAuthFailedMtls),
                 std::move(message)};
}

// What a client is told about a chain that did not verify: its first
// problem, the one OpenSSL stops at.
inline std::string rejection_reason(const pki::ChainVerdict& verdict) {
    if (verdict.ok()) {
        return {};
    }
    const pki::CertificateProblem& first = verdict.problems().front();
    switch (first.status) {
        case pki::CertificateStatus::no_certificate:
            return "no client certificate was presented";
        case pki::CertificateStatus::verification_failed:
            return first.detail;
        default:
            return "client certificate rejected: " + first.detail;
    }
}

}  // namespace estd::est
