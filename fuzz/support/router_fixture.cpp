#include "support/router_fixture.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "estd/audit/audit_log.hpp"
#include "estd/audit/counters.hpp"
#include "estd/auth/client_address.hpp"
#include "estd/config/config.hpp"
#include "estd/est/est_profile.hpp"
#include "estd/est/est_service.hpp"
#include "estd/http/admin_api.hpp"
#include "estd/http/error_status.hpp"
#include "estd/http/metrics.hpp"
#include "estd/http/pki_routes.hpp"
#include "estd/http/router.hpp"
#include "estd/net/peer_identity.hpp"
#include "estd/net/request_framing.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "estd/revocation/crl_publisher.hpp"
#include "estd/revocation/ocsp_responder.hpp"
#include "estd/store/audit_archive_sink.hpp"
#include "estd/store/sqlite_store.hpp"
#include "support/fuzz_support.hpp"
#include "support/profiles.hpp"

namespace estd::fuzz {

namespace {

namespace beast_http = boost::beast::http;
using config::EstProfileConfig;

// Without a store, audit events are produced and formatted by the service;
// where they go is not under test.
class DiscardingSink final : public audit::AuditSink {
  public:
    Status record(const audit::AuditEvent& /*event*/) override { return Ok{}; }
};

EstProfileConfig profile_config(const std::string& path_id) {
    EstProfileConfig cfg;
    cfg.name = path_id.empty() ? "legacy" : path_id;
    cfg.path_id = path_id;
    cfg.env_prefix = "CERTCTL_EST_PROFILE_" + cfg.name + "_";
    return cfg;
}

std::shared_ptr<const policy::CertificateProfile> ec_keygen_profile() {
    auto cfg = open_certificate_profile();
    cfg.id = "cp-ec";
    // serverkeygen generates the first allowed kind: EC keeps each run fast.
    cfg.allowed_key_algorithms = std::vector<config::KeyAlgorithm>{
        {config::KeyAlgorithm::Type::ec_p256, 0}, {config::KeyAlgorithm::Type::ed25519, 0}};
    return std::make_shared<const policy::CertificateProfile>(std::move(cfg));
}

std::vector<est::EstProfile> make_profiles() {
    auto& pki = test_pki();
    const auto ec_profile = ec_keygen_profile();
    const auto strict =
        std::make_shared<const policy::CertificateProfile>(strict_certificate_profile());

    std::vector<std::pair<EstProfileConfig, est::EstProfileBindings>> wanted;
    auto legacy = profile_config("");
    wanted.push_back({legacy, {ec_profile, "https://est.example.com"}});
    auto corp = profile_config("corp");
    corp.auth_basic = true;
    corp.enrollment_password = "fuzz-password";
    corp.serverkeygen_enabled = true;
    wanted.push_back({corp, {ec_profile, {}}});
    auto plain_keys = profile_config("plain");
    plain_keys.serverkeygen_enabled = true;
    plain_keys.serverkeygen_key_encryption = config::ServerKeygenEncryption::none;
    plain_keys.rate_limit_per_principal_24h = 5;
    wanted.push_back({plain_keys, {ec_profile, {}}});
    auto fleet = profile_config("fleet");
    fleet.mtls_enabled = true;
    fleet.auth_mtls = true;
    fleet.mtls_trust_bundle_path = pki.ca_cert_path;
    wanted.push_back({fleet, {strict, {}}});
    auto bound = profile_config("bound");
    bound.channel_binding_required = true;
    wanted.push_back({bound, {strict, {}}});

    std::vector<est::EstProfile> profiles;
    for (const auto& [cfg, bindings] : wanted) {
        auto made = est::make_est_profile(cfg, *pki.issuer, bindings);
        if (!made) {
            throw std::runtime_error("fuzz profile " + cfg.name + ": " + made.error().message);
        }
        profiles.push_back(std::move(made).value());
    }
    return profiles;
}

// The peer's bytes as a socket delivers them: at most kPiece per read,
// then EOF. A Beast SyncReadStream, so http::read drives the parser with
// the same buffer handling as the session's http::async_read.
class InputStream {
  public:
    static constexpr std::size_t kPiece = 4096;
    explicit InputStream(std::string_view bytes) : rest_(bytes) {}

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, boost::beast::error_code& ec) {
        ec = {};
        if (rest_.empty()) {
            ec = boost::asio::error::eof;
            return 0;
        }
        const auto n = boost::asio::buffer_copy(
            buffers, boost::asio::buffer(rest_.data(), std::min(rest_.size(), kPiece)));
        rest_.remove_prefix(n);
        return n;
    }
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {
        boost::beast::error_code ec;
        const auto n = read_some(buffers, ec);
        if (ec) {
            throw boost::system::system_error(ec);
        }
        return n;
    }

  private:
    std::string_view rest_;
};

// What the session holds for a request may not pass the listener's limits
// (docs/security.md, "Memory"): the read buffer its header limit, the body
// (chunk extensions included) its body limit, in a string of at most twice
// that capacity. Anything else aborts.
void check_bounds(const boost::beast::flat_buffer& buffer, const net::RequestParser& parser) {
    const config::ListenerConfig limits;
    const auto& body = parser.get().get().body();
    if (buffer.capacity() > limits.max_header_bytes || body.size() > limits.max_body_bytes ||
        body.capacity() > 2 * limits.max_body_bytes) {
        std::abort();
    }
}

// Reads the next request as net::Session does (src/net/session.cpp): a read
// buffer bounded by the header limit, the header read up to its blank line
// and refused with an obsolete line folding, then parsed by Beast from the
// buffer, checked (ambiguous framing, Host, Authorization), the body read
// with chunk extensions counted against the body limit, trailers refused.
// Nothing when the session would refuse the request or the connection
// ended; the connection is then closed.
std::optional<net::Request> next_request(InputStream& stream, boost::beast::flat_buffer& buffer) {
    const config::ListenerConfig limits;
    net::RequestParser parser(limits.max_header_bytes, limits.max_body_bytes);
    std::size_t scanned = 0;
    for (;;) {
        const std::string_view buffered(static_cast<const char*>(buffer.data().data()),
                                        buffer.size());
        if (const auto end = net::find_header_end(buffered, scanned)) {
            if (net::has_obsolete_fold(buffered.substr(0, *end)) ||
                net::header_field_count(buffered.substr(0, *end)) > net::kMaxHeaderFields) {
                return std::nullopt;
            }
            break;
        }
        if (buffer.size() >= buffer.max_size()) {
            return std::nullopt;  // 413
        }
        boost::beast::error_code ec;
        const auto n = stream.read_some(
            buffer.prepare(std::min(InputStream::kPiece, buffer.max_size() - buffer.size())), ec);
        buffer.commit(n);
        check_bounds(buffer, parser);
        if (ec) {
            return std::nullopt;
        }
    }
    boost::beast::error_code ec;
    beast_http::read_header(stream, buffer, parser.get(), ec);
    check_bounds(buffer, parser);
    if (ec) {
        return std::nullopt;
    }
    const auto& header = parser.get().get();
    if (net::ambiguous_framing(header, parser.get().chunked()) || net::invalid_fields(header)) {
        return std::nullopt;
    }
    parser.header_done();
    beast_http::read(stream, buffer, parser.get(), ec);
    check_bounds(buffer, parser);
    if (ec || parser.trailers()) {
        return std::nullopt;
    }
    return parser.get().release();
}

}  // namespace

struct RouterFixture::Parts {
    test::TempDir data;
    DiscardingSink discarding;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<store::AuditArchiveSink> store_audit;
    std::unique_ptr<audit::ProfileCounters> counters;
    std::unique_ptr<est::EstService> service;
    std::unique_ptr<revocation::CrlPublisher> crls;
    std::unique_ptr<revocation::OcspResponder> ocsp;
    std::unique_ptr<http::PkiRoutes> pki_routes;
    std::unique_ptr<http::MetricsCollector> metrics;
    std::unique_ptr<http::AdminApi> admin;
    std::unique_ptr<http::Router> router;

    void open_store() {
        auto opened = store::open_sqlite_store(data.path() / "estd.db");
        if (!opened) {
            throw std::runtime_error("fuzz store: " + opened.error().message);
        }
        store = std::move(*opened);
        store_audit = std::make_unique<store::AuditArchiveSink>(*store);
    }

    // As the daemon mounts them (app/operator_services.cpp).
    void mount_operator_routes() {
        auto& pki = test_pki();
        const std::vector<issuer::CrlSigningIssuer> issuers{
            issuer::CrlSigningIssuer(*pki.issuer, *pki.issuer)};
        crls = std::make_unique<revocation::CrlPublisher>(issuers, *store, std::chrono::hours(1));
        ocsp = std::make_unique<revocation::OcspResponder>(issuers, *store, std::chrono::hours(1));
        const auto ca_der = pki::certificate_der(pki.issuer->ca_certificate());
        pki_routes = std::make_unique<http::PkiRoutes>(
            *crls, *ocsp,
            http::PkiRoutes::CaCertificates{
                {pki.issuer->id(), std::string(ca_der.begin(), ca_der.end())}});
        http::AdminApi::Dependencies deps;
        deps.keys = {{"fuzz-admin", kAdminKey, true}, {"fuzz-reader", kReaderKey, false}};
        deps.certificates = store.get();
        deps.revocations = store.get();
        deps.audit_archive = store.get();
        deps.est = service.get();
        deps.counters = counters.get();
        deps.audit = store_audit.get();
        deps.crls = crls.get();
        metrics = std::make_unique<http::MetricsCollector>(
            http::MetricsCollector::Sources{counters.get(), {pki.issuer.get()}, data.path()});
        deps.metrics = metrics.get();
        admin = std::make_unique<http::AdminApi>(std::move(deps));
        router->mount_admin_api(*admin);
        router->mount_pki_routes(*pki_routes);
    }
};

RouterFixture::RouterFixture(Routes routes) : parts_(std::make_unique<Parts>()) {
    auto& p = *parts_;
    const bool operator_routes = routes == Routes::with_operator_routes;
    if (operator_routes) {
        p.open_store();
    }
    auto profiles = make_profiles();
    std::vector<std::string> names;
    for (const auto& profile : profiles) {
        names.push_back(profile.name());
    }
    p.counters = std::make_unique<audit::ProfileCounters>(names);
    audit::AuditSink& sink = operator_routes ? static_cast<audit::AuditSink&>(*p.store_audit)
                                             : static_cast<audit::AuditSink&>(p.discarding);
    p.service = std::make_unique<est::EstService>(std::move(profiles), sink, *p.counters,
                                                  std::chrono::hours(24), http::status_of);
    if (operator_routes) {
        p.service->use_store(*p.store, *p.store, p.store->shared_counts());
    }
    p.router = std::make_unique<http::Router>(*p.service, []() -> Status { return Ok{}; });
    auto proxies = auth::TrustedProxies::parse({"192.0.2.0/24", "2001:db8::/32"});
    if (!proxies) {
        throw std::runtime_error("fuzz proxies: " + proxies.error().message);
    }
    p.router->trust_proxies(std::move(proxies).value());
    if (operator_routes) {
        p.mount_operator_routes();
    }
}

RouterFixture::~RouterFixture() = default;

void RouterFixture::serve(std::string_view input) {
    // As the session reads it once per connection: here once per process.
    static const pki::PeerIdentity peer =
        net::read_peer_identity(tls_connection(TLS1_3_VERSION).server.get(), "192.0.2.7");
    // A few pipelined requests, so one can change what the next one meets.
    InputStream stream(input);
    boost::beast::flat_buffer buffer(config::ListenerConfig{}.max_header_bytes);
    for (int i = 0; i < 4; ++i) {
        const auto request = next_request(stream, buffer);
        if (!request) {
            break;
        }
        const auto response = parts_->router->handle(*request, peer);
        (void)response.result_int();
    }
}

}  // namespace estd::fuzz
