#pragma once

#include <cstddef>

#include "estd/core/error.hpp"
#include "estd/pki/csr.hpp"

namespace estd::est {

// Hard bounds on what one CSR may carry, whatever the profile: far above
// what a device needs, low enough that a hostile CSR cannot make estd
// decode, sign and store megabytes. Over a bound: 400 with audit code
// est_csr_policy_violation and no certificate.
struct CsrLimits {
    std::size_t max_der_bytes = 32 * 1024;
    std::size_t max_subject_alt_names = 100;
    std::size_t max_requested_extensions = 32;
    std::size_t max_attributes = 16;
    std::size_t max_subject_entries = 32;
};

// Before parsing: the decoded DER size.
Status check_csr_size(std::size_t der_bytes, const CsrLimits& limits = {});
// After parsing: counts of SANs, requested extensions, attributes and
// subject entries.
Status check_csr_contents(const pki::Csr& csr, const CsrLimits& limits = {});

}  // namespace estd::est
