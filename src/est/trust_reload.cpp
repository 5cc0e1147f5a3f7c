// EstService::reload_trust_bundles: the fail-safe trust-anchor reload.
#include <spdlog/spdlog.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/est/est_service.hpp"

namespace estd::est {

std::vector<EstService::TrustReload> EstService::reload_trust_bundles(
    const std::string& actor, const std::optional<std::string>& only_path_id) {
    std::vector<TrustReload> results;
    for (const auto& profile : profiles_) {
        if (only_path_id && profile.config.path_id != *only_path_id) {
            continue;
        }
        auth::TrustStore* store = profile.auth ? profile.auth->mtls_trust.get() : nullptr;
        if (store == nullptr) {
            continue;
        }
        TrustReload result;
        result.profile = profile.config.display_name();
        auto reloaded = store->reload();
        if (!reloaded) {
            result.detail = reloaded.error().message + "; the previous anchors stay in force";
            spdlog::error("EST profile {}: trust bundle reload failed: {}", result.profile,
                          result.detail);
            results.push_back(std::move(result));
            continue;
        }
        result.reloaded = true;
        result.changed = reloaded->changed;
        result.detail = std::to_string(reloaded->anchors) + " trust anchor" +
                        (reloaded->anchors == 1 ? "" : "s") + " from " + store->path();
        // A SIGHUP at each log rotation re-reads bundles that did not
        // change; the audit trail records only a change of anchors.
        if (result.changed) {
            spdlog::info("EST profile {}: trust bundle reloaded: {}", result.profile,
                         result.detail);
            audit::AuditEvent event;
            event.action = std::string(audit::codes::kTrustAnchorReloaded);
            event.profile = result.profile;
            event.actor = actor;
            event.reason = result.detail;
            if (auto written = audit_.record(event); !written) {
                spdlog::error("audit: {}", written.error().message);
            }
        } else {
            spdlog::info("EST profile {}: trust bundle unchanged: {}", result.profile,
                         result.detail);
        }
        results.push_back(std::move(result));
    }
    return results;
}

}  // namespace estd::est
