#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/collectable.h>

#include "estd/audit/audit_log.hpp"
#include "estd/audit/counters.hpp"
#include "estd/est/est_service.hpp"
#include "estd/http/api_keys.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/net/server.hpp"
#include "estd/revocation/crl_publisher.hpp"
#include "estd/store/audit_archive.hpp"
#include "estd/store/certificate_inventory.hpp"
#include "estd/store/revocation_ledger.hpp"

namespace estd::http {

// One profile's answer to a trust-anchor reload.
struct TrustReloadOutcome {
    std::string path_id;
    bool ok = false;
    bool changed = false;  // ok, with other anchors than before
    std::string error;     // why the old pool was kept
};

// Reloads the mTLS trust bundles of every profile (nullopt) or of one
// PathID, keeping the old pool of a profile whose new bundle fails; `actor`
// (the API key's name) goes into the est_trust_anchor_reloaded audit rows.
using TrustReloader = std::function<std::vector<TrustReloadOutcome>(
    const std::string& actor, const std::optional<std::string>& path_id)>;

// The operator API under /api/v1/, on the EST listener. Every call needs a
// Bearer key (401 without a known one); admin endpoints need an admin key
// (403 otherwise). Bodies are JSON, answers are JSON, but for the metrics
// in Prometheus' text format.
class AdminApi {
  public:
    struct Dependencies {
        std::vector<config::ApiKey> keys;
        store::CertificateInventory* certificates = nullptr;
        store::RevocationLedger* revocations = nullptr;
        store::AuditArchive* audit_archive = nullptr;
        est::EstService* est = nullptr;
        audit::ProfileCounters* counters = nullptr;
        audit::AuditSink* audit = nullptr;
        revocation::CrlPublisher* crls = nullptr;
        TrustReloader reload_trust;                        // empty: reload is not available
        const prometheus::Collectable* metrics = nullptr;  // null: no /api/v1/metrics
        // GET /api/v1/status: what /readyz answers, the store's kind and
        // each issuer's state.
        std::function<Status()> readiness{};  // empty: not reported
        std::string store_backend{};          // "sqlite" or "postgresql"
        std::vector<const issuer::Issuer*> issuers{};
    };

    explicit AdminApi(Dependencies deps);

    static bool handles(std::string_view path) { return path.starts_with("/api/"); }
    net::Response handle(const net::Request& req, const pki::PeerIdentity& peer,
                         const std::string& request_id);

    // Largest JSON nesting accepted, serials per bulk revoke, serials listed
    // back in its answer.
    static constexpr int kMaxJsonDepth = 8;
    static constexpr std::size_t kMaxSerials = 10000;

  private:
    struct Call {
        const net::Request& req;
        const pki::PeerIdentity& peer;
        const std::string& request_id;
        ApiCaller caller;
    };
    net::Response profiles(const Call& call);
    net::Response reload_trust(const Call& call);
    net::Response bulk_revoke(const Call& call);
    net::Response certificates(const Call& call);
    net::Response audit_events(const Call& call);
    net::Response metrics(const Call& call);
    net::Response status(const Call& call);

    Dependencies deps_;
    ApiKeyAuthenticator keys_;
};

}  // namespace estd::http
