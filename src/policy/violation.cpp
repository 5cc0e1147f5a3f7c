#include "estd/policy/violation.hpp"

#include "estd/audit/audit_codes.hpp"

namespace estd::policy {

Error violation(std::string_view profile_id, std::string_view dimension,
                const std::string& detail) {
    const std::string by = profile_id.empty()
                               ? std::string("estd's baseline (no certificate profile)")
                               : "certificate profile " + std::string(profile_id);
    return Error::bad_request(std::string(dimension) + " refused by " + by + ": " + detail,
                              std::string(audit::codes::kCsrPolicyViolation));
}

}  // namespace estd::policy
