#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "estd/auth/client_address.hpp"
#include "estd/auth/client_certificate.hpp"
#include "estd/core/error.hpp"
#include "estd/est/est_service.hpp"
#include "estd/est/operation.hpp"
#include "estd/http/admin_api.hpp"
#include "estd/http/metrics.hpp"
#include "estd/http/pki_routes.hpp"
#include "estd/net/server.hpp"

namespace estd::http {

// Maps an EST URL path to its route. nullopt when the path is not under
// /.well-known/est/ or /.well-known/est-mtls/; a 404 Error when it is but
// names no operation. A path without a label (/.well-known/est/cacerts) has
// an empty path_id: the legacy root or the default profile.
std::optional<Result<est::EstRoute>> parse_est_path(std::string_view path);

// Entry point for every request: health endpoints, the operator console
// (/est), EST, the operator API and the PKI routes.
class Router {
  public:
    // Ok, or why /readyz answers 503.
    using ReadinessProbe = std::function<Status()>;
    Router(est::EstService& est, ReadinessProbe ready);

    // For net::Server: an EST request may be answered after this returns
    // (once its certificate's row is committed).
    void handle(const net::Request& req, const pki::PeerIdentity& peer,
                const net::Responder& responder);
    // The same, waiting for the answer.
    net::Response handle(const net::Request& req, const pki::PeerIdentity& peer);
    // For net::Server: requests answered without waiting, on the I/O thread
    // that read them — GET or HEAD of /healthz and the console (/est), and
    // the EST calls EstService::answers_without_waiting names (cacerts,
    // csrattrs, and simpleenroll with a key in memory, whose commit the
    // store's thread completes). /readyz asks the issuers and the disk.
    bool answers_at_once(const net::Request& req) const;

    // CERTCTL_TRUSTED_PROXIES: peers whose X-Forwarded-For names the client
    // and whose X-SSL-Client-Cert is the client's certificate.
    // Set before serving; by default no peer is believed.
    void trust_proxies(auth::TrustedProxies proxies) { proxies_ = std::move(proxies); }
    // /api/v1/... (operator API) and /.well-known/pki/... (CRLs, OCSP). Set
    // before serving; unset, those paths are 404.
    void mount_admin_api(AdminApi& api) { admin_ = &api; }
    void mount_pki_routes(PkiRoutes& pki) { pki_ = &pki; }
    // Each EST request's handling time goes to `metrics`. Set before serving.
    void time_est_requests(MetricsCollector& metrics) { metrics_ = &metrics; }

  private:
    // An EST request: the call read out of it, answered.
    est::EstCall read_est_call(const net::Request& req, const pki::PeerIdentity& peer,
                               est::EstRoute route) const;
    void answer_est(const net::Request& req, const pki::PeerIdentity& peer, est::EstRoute route,
                    const net::Responder& responder);
    // Every other path: health, console, operator API, PKI routes, 404.
    net::Response answer_other(const net::Request& req, const pki::PeerIdentity& peer,
                               std::string_view path);

    est::EstService& est_;
    ReadinessProbe ready_;
    auth::TrustedProxies proxies_;
    AdminApi* admin_ = nullptr;
    PkiRoutes* pki_ = nullptr;
    MetricsCollector* metrics_ = nullptr;
};

}  // namespace estd::http
