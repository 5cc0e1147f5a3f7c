#pragma once

#include <array>
#include <string_view>

namespace estd::audit::codes {

inline constexpr std::string_view kSimpleEnrollSuccess = "est_simple_enroll_success";
inline constexpr std::string_view kSimpleEnrollFailed = "est_simple_enroll_failed";
inline constexpr std::string_view kSimpleReenrollSuccess = "est_simple_reenroll_success";
inline constexpr std::string_view kSimpleReenrollFailed = "est_simple_reenroll_failed";
inline constexpr std::string_view kServerKeygenSuccess = "est_server_keygen_success";
inline constexpr std::string_view kServerKeygenFailed = "est_server_keygen_failed";
inline constexpr std::string_view kCacertsSuccess = "est_cacerts_success";
inline constexpr std::string_view kCsrattrsSuccess = "est_csrattrs_success";
inline constexpr std::string_view kAuthFailedBasic = "est_auth_failed_basic";
inline constexpr std::string_view kAuthFailedMtls = "est_auth_failed_mtls";
inline constexpr std::string_view kAuthFailedChannelBinding = "est_auth_failed_channel_binding";
inline constexpr std::string_view kRateLimited = "est_rate_limited";
inline constexpr std::string_view kCsrPolicyViolation = "est_csr_policy_violation";
inline constexpr std::string_view kFullCmcNotImplemented = "est_fullcmc_not_implemented";
inline constexpr std::string_view kTrustAnchorReloaded = "est_trust_anchor_reloaded";
inline constexpr std::string_view kBulkRevoke = "est_bulk_revoke";

// The per-profile counter grid: every code a request outcome can carry.
inline constexpr std::array kCountedCodes = {
    kSimpleEnrollSuccess, kSimpleEnrollFailed,    kSimpleReenrollSuccess,    kSimpleReenrollFailed,
    kServerKeygenSuccess, kServerKeygenFailed,    kCacertsSuccess,           kCsrattrsSuccess,
    kAuthFailedBasic,     kAuthFailedMtls,        kAuthFailedChannelBinding, kRateLimited,
    kCsrPolicyViolation,  kFullCmcNotImplemented,
};

}  // namespace estd::audit::codes
