#pragma once

// The gate decisions a profile's mechanisms lead to: which kind of refusal,
// which audit code, when to retry, which challenge. EstService calls these in the order
// docs/architecture.md lists; each returns Ok or the Error to answer with.

#include <string_view>

#include "estd/auth/profile_auth.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/csr.hpp"

namespace estd::auth {

// The Basic gate on /.well-known/est/<name>/ (the profile must have one):
//   rate_limited (429) est_auth_failed_basic + retry_after  the source is
//                      locked out (checked first: the password is not even looked at)
//   unauthorized (401) est_auth_failed_basic + Basic challenge  no or unreadable
//                      credentials
//   unauthorized (401) est_auth_failed_basic + Basic challenge  wrong password
//                      (counted against the source; missing credentials are
//                      not, since clients legitimately probe without)
// `client_address` is the address the limiter counts (IPv6 by /64).
Status check_basic(ProfileAuth& auth, std::string_view authorization,
                   std::string_view client_address);

// The per-(CN, source IP) limit, when the profile has one: rate_limited
// (429) est_rate_limited + retry_after, or Ok (and the enrollment is counted).
Status check_principal_rate(ProfileAuth& auth, const pki::Csr& csr,
                            std::string_view client_address);

}  // namespace estd::auth
