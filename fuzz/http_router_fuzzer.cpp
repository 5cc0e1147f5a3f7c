// Raw bytes as they would arrive on a connection, parsed by Beast's
// request parser with the server's header and body limits, each complete
// request handed to the real Router and EstService (profiles with Basic,
// mTLS, channel binding, certificate profiles and serverkeygen; a local
// issuer) over an in-memory TLS 1.3 connection. No socket.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/beast/http.hpp>

#include "estd/audit/audit_log.hpp"
#include "estd/audit/counters.hpp"
#include "estd/auth/client_address.hpp"
#include "estd/config/config.hpp"
#include "estd/core/parse_message.hpp"
#include "estd/est/est_profile.hpp"
#include "estd/est/est_service.hpp"
#include "estd/http/router.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "support/fuzz_support.hpp"
#include "support/profiles.hpp"

namespace {

namespace beast_http = boost::beast::http;
using estd::config::EstProfileConfig;

// Audit events are produced and formatted by the service; where they go is
// not under test.
class DiscardingSink final : public estd::audit::AuditSink {
  public:
    estd::Status record(const estd::audit::AuditEvent& /*event*/) override { return estd::Ok{}; }
};

struct Server {
    DiscardingSink sink;
    std::unique_ptr<estd::audit::ProfileCounters> counters;
    std::unique_ptr<estd::est::EstService> service;
    std::unique_ptr<estd::http::Router> router;
    // What the listener uses by default (config::ListenerConfig).
    std::size_t max_header_bytes = estd::config::ListenerConfig{}.max_header_bytes;
    std::size_t max_body_bytes = estd::config::ListenerConfig{}.max_body_bytes;
};

EstProfileConfig profile_config(const std::string& path_id) {
    EstProfileConfig cfg;
    cfg.name = path_id.empty() ? "legacy" : path_id;
    cfg.path_id = path_id;
    cfg.env_prefix = "CERTCTL_EST_PROFILE_" + cfg.name + "_";
    return cfg;
}

std::shared_ptr<const estd::policy::CertificateProfile> ec_keygen_profile() {
    auto cfg = estd::fuzz::open_certificate_profile();
    cfg.id = "cp-ec";
    // serverkeygen generates the first allowed kind: EC keeps each run fast.
    cfg.allowed_key_algorithms =
        std::vector<estd::config::KeyAlgorithm>{{estd::config::KeyAlgorithm::Type::ec_p256, 0},
                                                {estd::config::KeyAlgorithm::Type::ed25519, 0}};
    return std::make_shared<const estd::policy::CertificateProfile>(std::move(cfg));
}

std::vector<estd::est::EstProfile> make_profiles() {
    auto& pki = estd::fuzz::test_pki();
    const auto ec_profile = ec_keygen_profile();
    const auto strict = std::make_shared<const estd::policy::CertificateProfile>(
        estd::fuzz::strict_certificate_profile());

    std::vector<std::pair<EstProfileConfig, estd::est::EstProfileBindings>> wanted;
    auto legacy = profile_config("");
    wanted.push_back({legacy, {ec_profile, "https://est.example.com"}});
    auto corp = profile_config("corp");
    corp.auth_basic = true;
    corp.enrollment_password = "fuzz-password";
    corp.serverkeygen_enabled = true;
    wanted.push_back({corp, {ec_profile, {}}});
    auto plain_keys = profile_config("plain");
    plain_keys.serverkeygen_enabled = true;
    plain_keys.serverkeygen_key_encryption = estd::config::ServerKeygenEncryption::none;
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

    std::vector<estd::est::EstProfile> profiles;
    for (const auto& [cfg, bindings] : wanted) {
        auto made = estd::est::make_est_profile(cfg, *pki.issuer, bindings);
        if (!made) {
            throw std::runtime_error("fuzz profile " + cfg.name + ": " + made.error().message);
        }
        profiles.push_back(std::move(made).value());
    }
    return profiles;
}

Server& server() {
    static const std::unique_ptr<Server> made = [] {
        auto s = std::make_unique<Server>();
        auto profiles = make_profiles();
        std::vector<std::string> names;
        for (const auto& profile : profiles) {
            names.push_back(profile.name());
        }
        s->counters = std::make_unique<estd::audit::ProfileCounters>(names);
        s->service = std::make_unique<estd::est::EstService>(std::move(profiles), s->sink,
                                                             *s->counters, std::chrono::hours(24));
        s->router = std::make_unique<estd::http::Router>(*s->service, [] { return true; });
        auto proxies = estd::auth::TrustedProxies::parse({"192.0.2.0/24", "2001:db8::/32"});
        if (!proxies) {
            throw std::runtime_error("fuzz proxies: " + proxies.error().message);
        }
        s->router->trust_proxies(std::move(proxies).value());
        return s;
    }();
    return *made;
}

// Parses one request from the front of `rest`, as the session does (header
// limit, body limit, EOF ending a body without length). Consumed bytes are
// removed from `rest`; nullopt when no complete request could be read.
std::optional<estd::net::Request> next_request(std::string_view& rest, const Server& s) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s.max_header_bytes));
    parser.body_limit(static_cast<std::uint64_t>(s.max_body_bytes));
    if (!estd::parse_message(parser, rest)) {
        return std::nullopt;
    }
    return parser.release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& s = server();
    const estd::net::ConnectionInfo conn{"192.0.2.7",
                                         estd::fuzz::tls_connection(TLS1_3_VERSION).server.get()};
    std::string_view rest = estd::fuzz::input_text(data, size);
    // A few pipelined requests, so one can change what the next one meets.
    for (int i = 0; i < 4 && !rest.empty(); ++i) {
        const auto request = next_request(rest, s);
        if (!request) {
            break;
        }
        const auto response = s.router->handle(*request, conn);
        (void)response.result_int();
    }
    return 0;
}
