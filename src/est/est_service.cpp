#include "estd/est/est_service.hpp"

#include <spdlog/spdlog.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/est/enrollment.hpp"
#include "estd/est/wire.hpp"
#include "estd/http/response.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/csr.hpp"

namespace estd::est {
namespace beast_http = boost::beast::http;

namespace {

beast_http::verb expected_method(Operation op) {
    return op == Operation::cacerts || op == Operation::csrattrs ? beast_http::verb::get
                                                                 : beast_http::verb::post;
}

Error mtls_failure(std::string message) {
    return Error{401, std::string(audit::codes::kAuthFailedMtls), std::move(message)};
}

}  // namespace

EstService::EstService(std::vector<EstProfile> profiles, audit::AuditSink& audit,
                       audit::ProfileCounters& counters, std::chrono::seconds default_ttl)
    : profiles_(std::move(profiles)),
      audit_(audit),
      counters_(counters),
      default_ttl_(default_ttl) {}

const EstProfile* EstService::find_profile(const std::string& path_id) const {
    for (const auto& profile : profiles_) {
        if (profile.config.path_id == path_id) {
            return &profile;
        }
    }
    return nullptr;
}

net::Response EstService::handle(const net::Request& req, const net::ConnectionInfo& conn,
                                 const RequestContext& ctx, const EstRoute& route) {
    const EstProfile* profile = find_profile(route.path_id);
    if (profile == nullptr) {
        return http::text_response(req, 404,
                                   route.path_id.empty()
                                       ? "no legacy root EST profile is configured; use "
                                         "/.well-known/est/<profile>/"
                                       : "no EST profile named \"" + route.path_id + "\"");
    }
    if (route.family == RouteFamily::est_mtls && !profile->config.auth_mtls) {
        return http::text_response(req, 404,
                                   "EST profile \"" + profile->config.display_name() +
                                       "\" does not allow mTLS: no est-mtls route");
    }
    const auto method = expected_method(route.operation);
    if (req.method() != method) {
        auto res = http::text_response(req, 405,
                                       std::string(operation_name(route.operation)) +
                                           " accepts only " +
                                           std::string(beast_http::to_string(method)));
        res.set(beast_http::field::allow, beast_http::to_string(method));
        return res;
    }

    Result<Outcome> outcome = dispatch(*profile, req, conn, ctx, route);
    record(*profile, ctx, route.operation, outcome);
    if (!outcome) {
        return http::error_response(req, outcome.error());
    }
    auto res = http::make_response(req, outcome->status, outcome->content_type,
                                   std::move(outcome->body));
    if (outcome->content_type == kCertsOnlyContentType) {
        res.set("Content-Transfer-Encoding", "base64");
    }
    return res;
}

Result<EstService::Outcome> EstService::dispatch(const EstProfile& profile,
                                                 const net::Request& req,
                                                 const net::ConnectionInfo& conn,
                                                 const RequestContext& ctx,
                                                 const EstRoute& route) {
    if (auto gate = check_caller(profile, req, conn, ctx, route); !gate) {
        return std::move(gate).take_error();
    }
    switch (route.operation) {
        case Operation::cacerts:
            return Outcome{200, std::string(kCertsOnlyContentType), profile.cacerts_body, {}, {}};
        case Operation::csrattrs:
            return Outcome{204, {}, {}, {}, {}};
        case Operation::simpleenroll:
        case Operation::simplereenroll:
            return enroll(profile, req, conn, ctx, route.operation);
        case Operation::serverkeygen:
            if (!profile.config.serverkeygen_enabled) {
                return Error{404, {},
                             "serverkeygen is not enabled for EST profile \"" +
                                 profile.config.display_name() + "\""};
            }
            return Error{501, {}, "serverkeygen is not available in this build"};
        case Operation::fullcmc:
            return Error{501, std::string(audit::codes::kFullCmcNotImplemented),
                         "fullcmc is not implemented: use simpleenroll or simplereenroll"};
    }
    return Error::internal("unknown EST operation");
}

Status EstService::check_caller(const EstProfile& profile, const net::Request& /*req*/,
                                const net::ConnectionInfo& conn, const RequestContext& /*ctx*/,
                                const EstRoute& route) {
    return check_client_certificate(profile, conn, route);
}

// The est-mtls route admits a client certificate chaining to the profile's
// trust bundle; a renewal may also present the certificate this profile
// issued, since that is what a device renews with.
Status EstService::check_client_certificate(const EstProfile& profile,
                                            const net::ConnectionInfo& conn,
                                            const EstRoute& route) const {
    if (route.family != RouteFamily::est_mtls) {
        return Ok{};
    }
    X509* leaf = conn.ssl ? SSL_get0_peer_certificate(conn.ssl) : nullptr;
    if (leaf == nullptr) {
        return mtls_failure("this route requires a client certificate; none was presented");
    }
    STACK_OF(X509)* untrusted = SSL_get_peer_cert_chain(conn.ssl);
    auto trusted = profile.mtls_trust->verify(leaf, untrusted);
    if (trusted) {
        return Ok{};
    }
    if (route.operation == Operation::simplereenroll &&
        profile.issued_by_profile_ca->verify(leaf, untrusted)) {
        return Ok{};
    }
    return mtls_failure(trusted.error().message + " (trust bundle of EST profile \"" +
                        profile.config.display_name() + "\")");
}

Status EstService::check_csr_gates(const EstProfile& /*profile*/, const pki::Csr& /*csr*/,
                                   const net::ConnectionInfo& /*conn*/,
                                   const RequestContext& /*ctx*/, Operation /*op*/) {
    return Ok{};
}

Result<pki::CertificateTemplate> EstService::build_template(const EstProfile& /*profile*/,
                                                            const pki::Csr& csr) const {
    return template_from_csr(csr, default_ttl_);
}

Result<EstService::Outcome> EstService::enroll(const EstProfile& profile,
                                               const net::Request& req,
                                               const net::ConnectionInfo& conn,
                                               const RequestContext& ctx, Operation op) {
    X509* current = nullptr;
    if (op == Operation::simplereenroll) {
        current = conn.ssl ? SSL_get0_peer_certificate(conn.ssl) : nullptr;
        if (current == nullptr) {
            return mtls_failure(
                "simplereenroll requires the certificate being renewed as the TLS client "
                "certificate");
        }
        auto issued_here =
            profile.issued_by_profile_ca->verify(current, SSL_get_peer_cert_chain(conn.ssl));
        if (!issued_here) {
            return mtls_failure(issued_here.error().message +
                                " (the certificate being renewed must be issued by this "
                                "profile's CA)");
        }
    }

    auto der = decode_request_body(req.body());
    if (!der) {
        return std::move(der).take_error();
    }
    auto csr = pki::Csr::from_der(*der);
    if (!csr) {
        return std::move(csr).take_error();
    }
    if (current != nullptr) {
        if (auto same = check_reenroll_matches(*csr, current); !same) {
            return std::move(same).take_error();
        }
    }
    if (auto gate = check_csr_gates(profile, *csr, conn, ctx, op); !gate) {
        return std::move(gate).take_error();
    }
    auto tmpl = build_template(profile, *csr);
    if (!tmpl) {
        return std::move(tmpl).take_error();
    }
    auto cert = profile.issuer->issue(std::move(*tmpl));
    if (!cert) {
        return std::move(cert).take_error();
    }
    auto body = certs_only_body({cert->get()});
    if (!body) {
        return std::move(body).take_error();
    }
    return Outcome{200, std::string(kCertsOnlyContentType), std::move(*body),
                   pki::name_to_string(X509_get_subject_name(cert->get())),
                   pki::serial_hex(cert->get())};
}

void EstService::record(const EstProfile& profile, const RequestContext& ctx, Operation op,
                        const Result<Outcome>& outcome) {
    audit::AuditEvent event;
    event.profile = profile.config.display_name();
    event.source_ip = ctx.client_ip;
    event.request_id = ctx.request_id;
    event.issuer_id = profile.config.issuer_id;
    if (outcome) {
        event.action = std::string(success_code(op));
        event.status = static_cast<int>(outcome->status);
        event.subject = outcome->subject;
        event.serial = outcome->serial;
    } else {
        const Error& error = outcome.error();
        const auto op_failure = std::string(failure_code(op));
        event.action = error.audit_code.empty() ? op_failure : error.audit_code;
        if (event.action != op_failure) {
            event.operation_action = op_failure;
        }
        event.status = error.status;
        event.reason = error.message;
    }
    if (event.action.empty()) {
        return;  // a failed cacerts/csrattrs without a gate code is not an outcome worth a row
    }
    counters_.increment(event.profile, event.action);
    if (!event.operation_action.empty()) {
        counters_.increment(event.profile, event.operation_action);
    }
    if (auto written = audit_.record(event); !written) {
        spdlog::error("audit: {}", written.error().message);
    }
}

}  // namespace estd::est
