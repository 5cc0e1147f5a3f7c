#pragma once

// Everything one EST profile needs to decide who may call it, built once at
// boot from its configuration. Each profile owns its own instances: a
// lockout, a rate-limit count or a trust bundle of one profile never
// affects another.

#include <memory>
#include <optional>

#include "estd/auth/basic_gate.hpp"
#include "estd/auth/failed_auth_limiter.hpp"
#include "estd/auth/principal_rate_limiter.hpp"
#include "estd/auth/shared_limit.hpp"
#include "estd/auth/trust_store.hpp"
#include "estd/config/config.hpp"
#include "estd/core/error.hpp"

namespace estd::auth {

struct ProfileAuth {
    // ALLOWED_AUTH_MODES lists basic: the enrollment password's digest.
    std::optional<BasicGate> basic;
    // The source-IP failed-Basic limiter (used only when `basic` is set).
    FailedAuthLimiter failed_basic;
    // The same limit across every estd on a shared database, when there is
    // one (share_limits).
    std::unique_ptr<SharedLimit> shared_failed_basic;
    // ALLOWED_AUTH_MODES lists mtls: the client-CA trust bundle, reloadable.
    std::unique_ptr<TrustStore> mtls_trust;
    // RATE_LIMIT_PER_PRINCIPAL_24H > 0.
    std::unique_ptr<PrincipalRateLimiter> per_principal;
    // The same limit across every estd on a shared database (share_limits).
    std::unique_ptr<SharedLimit> shared_per_principal;
    bool channel_binding_required = false;

    // Checking a limit counted in a shared store reads the database.
    bool limits_read_the_store() const { return shared_failed_basic || shared_per_principal; }
};

// Loads the trust bundle (an unreadable, empty or unparsable one is an
// error naming the variable and the file) and sets up the gates.
Result<std::shared_ptr<ProfileAuth>> make_profile_auth(const config::EstProfileConfig& profile);

// The profile's failed-Basic lockout and per-principal rate limit, where it
// has them, also count in `counts` (a store that several estd share).
void share_limits(ProfileAuth& auth, const config::EstProfileConfig& profile,
                  store::SharedCounts& counts);

}  // namespace estd::auth
