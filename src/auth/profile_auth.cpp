#include "estd/auth/profile_auth.hpp"

namespace estd::auth {

Result<std::shared_ptr<ProfileAuth>> make_profile_auth(const config::EstProfileConfig& profile) {
    auto auth = std::make_shared<ProfileAuth>();
    const std::string context = "EST profile " + profile.display_name() + ": ";
    if (profile.auth_basic) {
        auto gate = BasicGate::create(profile.enrollment_password);
        if (!gate) {
            return Error::internal(context + gate.error().message);
        }
        auth->basic.emplace(std::move(*gate));
    }
    if (profile.auth_mtls) {
        auto store = TrustStore::open(profile.mtls_trust_bundle_path);
        if (!store) {
            return Error::internal(context + profile.env_prefix +
                                   "MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: " + store.error().message);
        }
        auth->mtls_trust = std::move(*store);
    }
    if (profile.rate_limit_per_principal_24h > 0) {
        PrincipalRateLimiter::Limits limits;
        limits.max_per_window = static_cast<std::uint64_t>(profile.rate_limit_per_principal_24h);
        auth->per_principal = std::make_unique<PrincipalRateLimiter>(limits);
    }
    auth->channel_binding_required = profile.channel_binding_required;
    return auth;
}

void share_limits(ProfileAuth& auth, const config::EstProfileConfig& profile,
                  store::SharedCounts& counts) {
    if (auth.basic) {
        const FailedAuthLimiter::Limits lockout;
        auth.shared_failed_basic = std::make_unique<SharedLimit>(
            counts, store::CountedEvent::failed_basic, profile.path_id, lockout.max_failures,
            std::chrono::duration_cast<std::chrono::seconds>(lockout.window));
    }
    if (auth.per_principal) {
        const PrincipalRateLimiter::Limits& limits = auth.per_principal->limits();
        auth.shared_per_principal = std::make_unique<SharedLimit>(
            counts, store::CountedEvent::principal_enrollment, profile.path_id,
            limits.max_per_window, std::chrono::duration_cast<std::chrono::seconds>(limits.window));
    }
}

}  // namespace estd::auth
