#pragma once

#include <string>
#include <string_view>

#include "estd/core/error.hpp"

namespace estd::policy {

// The dimensions a CSR is refused on, named as the guide's troubleshooting
// matrix names them, so operators can grep the audit log for them.
namespace dimension {
inline constexpr std::string_view kKeyAlgorithm = "key algorithm";
inline constexpr std::string_view kKeySize = "key size";
inline constexpr std::string_view kEku = "EKU";
inline constexpr std::string_view kSan = "SAN";
inline constexpr std::string_view kTtl = "TTL";
inline constexpr std::string_view kAttribute = "attribute";
inline constexpr std::string_view kKeyUsage = "key usage";
inline constexpr std::string_view kExtension = "extension";
inline constexpr std::string_view kSubject = "subject";
inline constexpr std::string_view kSignature = "CSR signature";
}  // namespace dimension

// 400 with audit code est_csr_policy_violation and the message
// "<dimension> refused by certificate profile <id>: <detail>"; with an empty
// id (the baseline without a certificate profile) "<dimension> refused by
// estd's baseline (no certificate profile): <detail>".
Error violation(std::string_view profile_id, std::string_view dimension, const std::string& detail);

}  // namespace estd::policy
