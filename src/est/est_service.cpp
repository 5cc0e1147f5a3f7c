#include "estd/est/est_service.hpp"

#include <future>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/auth/basic_gate.hpp"
#include "estd/auth/channel_binding.hpp"
#include "estd/auth/gates.hpp"
#include "estd/est/csr_limits.hpp"
#include "estd/est/enrollment.hpp"
#include "estd/est/server_keygen.hpp"
#include "estd/est/wire.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/crl.hpp"
#include "estd/pki/csr.hpp"
#include "estd/policy/key_algorithm.hpp"
#include "mtls_refusal.hpp"

namespace estd::est {

namespace {

// The line layout of this call's base64 answers.
pki::Base64Layout layout_for(const EstProfile& profile, const EstCall& call) {
    return answer_layout(profile.config.base64_layout, call.user_agent);
}

// The size before parsing, the counts before any gate, policy or signing.
Result<pki::Csr> parse_bounded_csr(std::string_view body, pki::CsrSignature signature) {
    auto der = decode_request_body(body);
    if (!der) {
        return std::move(der).take_error();
    }
    if (auto sized = check_csr_size(der->size()); !sized) {
        return std::move(sized).take_error();
    }
    auto csr = pki::Csr::from_der(*der, signature);
    if (!csr) {
        return std::move(csr).take_error();
    }
    if (auto bounded = check_csr_contents(*csr); !bounded) {
        return std::move(bounded).take_error();
    }
    return csr;
}

}  // namespace

EstService::EstService(std::vector<EstProfile> profiles, audit::AuditSink& audit,
                       audit::ProfileCounters& counters, std::chrono::seconds default_ttl,
                       StatusOf status_of)
    : profiles_(std::move(profiles)),
      audit_(audit),
      counters_(counters),
      default_ttl_(default_ttl),
      status_of_(status_of),
      unsummarized_reads_(std::make_unique<std::atomic<std::uint64_t>[]>(2 * profiles_.size())) {
}

void EstService::use_store(store::CertificateInventory& inventory,
                           store::RevocationLedger& revocations,
                           store::SharedCounts* shared_counts) {
    store_ = &inventory;
    revocations_ = &revocations;
    if (shared_counts != nullptr) {
        for (auto& profile : profiles_) {
            auth::share_limits(*profile.auth, profile.config, *shared_counts);
        }
    }
}

// An empty path_id (no label in the URL) is the legacy root profile or the
// one CERTCTL_EST_DEFAULT_PROFILE names; config allows at most one of them.
const EstProfile* EstService::find_profile(const std::string& path_id) const {
    for (const auto& profile : profiles_) {
        if (path_id.empty() ? profile.config.label_less() : profile.config.path_id == path_id) {
            return &profile;
        }
    }
    return nullptr;
}

Result<const EstProfile*> EstService::serving_profile(const EstRoute& route) const {
    const EstProfile* profile = find_profile(route.path_id);
    if (profile == nullptr) {
        return Error{ErrorKind::not_found,
                     {},
                     route.path_id.empty() ? "no default EST profile is configured; use "
                                             "/.well-known/est/<profile>/ (or name one in "
                                             "CERTCTL_EST_DEFAULT_PROFILE)"
                                           : "no EST profile named \"" + route.path_id + "\""};
    }
    if (route.family == RouteFamily::est_mtls && !profile->config.auth_mtls) {
        return Error{ErrorKind::not_found,
                     {},
                     "EST profile \"" + profile->config.display_name() +
                         "\" does not allow mTLS: no est-mtls route"};
    }
    return profile;
}

bool EstService::answers_without_waiting(const EstRoute& route) const {
    if (route.family != RouteFamily::est) {
        return false;  // est-mtls reads the store for the client certificate's revocation
    }
    switch (route.operation) {
        case Operation::cacerts:
        case Operation::csrattrs:
            return true;
        case Operation::simpleenroll: {
            const EstProfile* profile = find_profile(route.path_id);
            return profile == nullptr ||  // a 404
                   (profile->issuer->signs_in_memory() && !profile->auth->limits_read_the_store() &&
                    (store_ == nullptr || store_->commits_without_waiting()));
        }
        case Operation::simplereenroll:  // the store's row of the certificate being renewed
        case Operation::serverkeygen:    // a key generated: RSA takes its time
        case Operation::fullcmc:
            return false;
    }
    return false;
}

// A call between its certificate's signature and the commit of its row.
struct EstService::AwaitingCommit {
    const EstProfile& profile;
    Operation op;
    Caller caller;
    Result<Outcome> outcome;
    Answered answered;
};

void EstService::handle(const EstCall& call, const Resume& resume, Answered answered) {
    auto served = serving_profile(call.route);
    if (!served) {
        answered(std::move(served).take_error());
        return;
    }
    const EstProfile& profile = **served;
    const Operation op = call.route.operation;
    Caller caller{call.context.request_id, call.context.client_ip};
    Result<Outcome> outcome = dispatch(profile, call);
    if (!outcome || !outcome->row) {
        answered(conclude(profile, caller, op, std::move(outcome)));
        return;
    }
    // No thread waits for the commit: the store calls back, and the rest
    // runs where `resume` puts it.
    const store::CertificateRecord row = std::move(*outcome->row);
    outcome->row.reset();
    auto awaiting = std::make_shared<AwaitingCommit>(
        AwaitingCommit{profile, op, std::move(caller), std::move(outcome), std::move(answered)});
    store_->add_certificate_then(
        row, [this, resume, awaiting, serial = row.serial](const Status& committed) {
            resume([this, awaiting, committed, serial] {
                if (!committed) {
                    spdlog::error("store: certificate {} not recorded: {}", serial,
                                  committed.error().message);
                    // Never hand out a certificate the inventory does not know: it
                    // could not be listed, revoked or answered for by OCSP.
                    awaiting->outcome =
                        Error{ErrorKind::unavailable,
                              {},
                              "the certificate could not be recorded in the inventory store and is "
                              "not delivered; try again later"};
                }
                awaiting->answered(conclude(awaiting->profile, awaiting->caller, awaiting->op,
                                            std::move(awaiting->outcome)));
            });
        });
}

Result<EstAnswer> EstService::handle(const EstCall& call) {
    std::optional<Result<EstAnswer>> answer;
    std::promise<std::function<void()>> rest;
    auto resumed = rest.get_future();
    handle(
        call, [&rest](std::function<void()> work) { rest.set_value(std::move(work)); },
        [&answer](Result<EstAnswer> answered) { answer = std::move(answered); });
    if (!answer) {
        resumed.get()();
    }
    return std::move(*answer);
}

Result<EstAnswer> EstService::conclude(const EstProfile& profile, const Caller& caller,
                                       Operation op, Result<Outcome> outcome) {
    if (auto audited = record(profile, caller, op, outcome); !audited) {
        outcome = withhold(profile, outcome->serial, std::move(audited).take_error());
        (void)record(profile, caller, op, outcome);
    }
    if (!outcome) {
        return std::move(outcome).take_error();
    }
    return std::move(outcome->answer);
}

Result<EstService::Outcome> EstService::dispatch(const EstProfile& profile, const EstCall& call) {
    if (auto gate = check_caller(profile, call); !gate) {
        return std::move(gate).take_error();
    }
    switch (call.route.operation) {
        case Operation::cacerts:
            return Outcome{
                {EstContent::certs_only, profile.cacerts_body.in(layout_for(profile, call))},
                {},
                {},
                {}};
        case Operation::csrattrs:
            if (profile.csrattrs_body.empty()) {
                return Outcome{{EstContent::none, {}}, {}, {}, {}};
            }
            return Outcome{
                {EstContent::csrattrs, profile.csrattrs_body.in(layout_for(profile, call))},
                {},
                {},
                {}};
        case Operation::simpleenroll:
        case Operation::simplereenroll:
            return enroll(profile, call);
        case Operation::serverkeygen:
            if (!profile.config.serverkeygen_enabled) {
                return Error{ErrorKind::not_found,
                             {},
                             "serverkeygen is not enabled for EST profile \"" +
                                 profile.config.display_name() + "\""};
            }
            return enroll(profile, call);
        case Operation::fullcmc:
            return Error{ErrorKind::not_implemented,
                         std::string(audit::codes::kFullCmcNotImplemented),
                         "fullcmc is not implemented: use simpleenroll or simplereenroll"};
    }
    return Error::internal("unknown EST operation");
}

// In order: est-mtls takes a client certificate for every operation; on
// /est/, cacerts and csrattrs stay open (a device fetches them before it can
// authenticate anything), and the enrollment operations take the Basic
// password (behind the source-IP lockout) when the profile allows Basic.
Status EstService::check_caller(const EstProfile& profile, const EstCall& call) {
    const RequestContext& ctx = call.context;
    const EstRoute& route = call.route;
    if (!profile.auth) {
        // Fail closed: a profile not made by make_est_profile has no gates.
        return Error::internal("EST profile " + profile.config.display_name() +
                               " has no authentication state");
    }
    if (!ctx.client_certificate) {
        return ctx.client_certificate.error();
    }
    if (ctx.via_proxy && profile.auth->channel_binding_required && is_enrollment(route.operation)) {
        return auth::channel_binding_through_proxy(
            "EST profile \"" + profile.config.display_name() +
            "\" requires channel binding, which cannot cross a TLS-terminating proxy: connect "
            "to estd directly, or turn channel binding off for this profile");
    }
    if (route.family == RouteFamily::est_mtls) {
        if (route.operation == Operation::simplereenroll) {
            // enroll() admits the certificate being renewed by the renewal
            // rule (check_renewable), which includes the trust bundle.
            return Ok{};
        }
        return check_client_certificate(profile, ctx, route);
    }
    if (!is_enrollment(route.operation)) {
        return Ok{};
    }
    if (profile.auth->basic) {
        return auth::check_basic(*profile.auth, call.authorization, ctx.client_ip);
    }
    if (profile.config.auth_mtls && route.operation != Operation::simplereenroll) {
        // An mTLS-only profile must not be an anonymous one on /est/.
        return mtls_refusal("EST profile \"" + profile.config.display_name() +
                            "\" enrolls only with a client certificate, on /.well-known/est-mtls/" +
                            profile.config.path_id + "/");
    }
    // Anonymous profiles (warned about at boot), and renewals, which enroll()
    // authenticates with the certificate being renewed.
    return Ok{};
}

// The est-mtls route admits a client certificate chaining to the profile's
// trust bundle (a renewal's certificate is checked by check_renewable).
Status EstService::check_client_certificate(const EstProfile& profile, const RequestContext& ctx,
                                            const EstRoute& route) const {
    if (route.family != RouteFamily::est_mtls) {
        return Ok{};
    }
    const auth::ClientCertificate& client = *ctx.client_certificate;
    X509* leaf = client.leaf();
    if (leaf == nullptr) {
        return mtls_refusal("this route requires a client certificate; none was presented");
    }
    // THIS profile's bundle, as of this request: the TLS layer (or the
    // proxy) accepted any certificate, and a reload may have replaced the
    // anchors since.
    auto trusted = profile.auth->mtls_trust->current()->verify(leaf, client.untrusted());
    if (trusted) {
        return check_not_revoked(leaf);
    }
    return mtls_refusal(rejection_reason(trusted) + " (trust bundle of EST profile \"" +
                        profile.config.display_name() + "\")");
}

// simplereenroll on either route: the certificate being renewed must be one
// this profile may renew. One chaining to its trust bundle (an mTLS profile)
// is admitted as on every est-mtls operation; otherwise it must verify
// against this profile's issuing CA and have been issued through this
// profile, which the inventory knows (check_issued_through): a CA shared
// with other profiles signs their certificates too.
Status EstService::check_renewable(const EstProfile& profile, X509* current,
                                   STACK_OF(X509) * untrusted) const {
    const bool has_bundle = profile.auth->mtls_trust != nullptr;
    if (has_bundle) {
        if (profile.auth->mtls_trust->current()->verify(current, untrusted)) {
            return check_not_revoked(current);
        }
    }
    if (auto issued = profile.issued_by_profile_ca->verify(current, untrusted); !issued) {
        return mtls_refusal(
            rejection_reason(issued) + " (the certificate being renewed must be " +
            (has_bundle ? "one chaining to the trust bundle of EST profile \"" +
                              profile.config.display_name() + "\", or one this profile issued"
                        : "one EST profile \"" + profile.config.display_name() + "\" issued") +
            ")");
    }
    return check_issued_through(profile, current);
}

// Channel binding before the rate limit, so a refused CSR does not use up
// the principal's quota.
Status EstService::check_csr_gates(const EstProfile& profile, const pki::Csr& csr,
                                   const EstCall& call) {
    const RequestContext& ctx = call.context;
    // Through a proxy the TLS connection is the proxy's: a binding in the
    // CSR was made for the client's connection to the proxy and cannot be
    // checked here (check_caller refused profiles that require one).
    if (auto bound = ctx.via_proxy ? auth::check_no_channel_binding_through_proxy(csr)
                                   : auth::check_channel_binding(
                                         csr, call.peer, profile.auth->channel_binding_required);
        !bound) {
        return bound;
    }
    return auth::check_principal_rate(*profile.auth, csr, ctx.client_ip);
}

// With a certificate profile, the CSR is checked against it and the
// certificate shaped by it; without one, template_from_csr's defaults. Either
// way the issuer's CRL and AIA URLs are added.
Result<pki::CertificateTemplate> EstService::build_template(const EstProfile& profile,
                                                            const pki::Csr& csr) const {
    auto tmpl = profile.certificate_profile
                    ? profile.certificate_profile->certificate_template(csr, default_ttl_)
                    : template_from_csr(csr, default_ttl_);
    if (tmpl) {
        policy::apply_publication_urls(profile.publication_urls, *tmpl);
    }
    return tmpl;
}

Result<EstService::Outcome> EstService::enroll(const EstProfile& profile, const EstCall& call) {
    const RequestContext& ctx = call.context;
    const Operation op = call.route.operation;
    X509* current = nullptr;
    if (op == Operation::simplereenroll) {
        const auth::ClientCertificate& client = *ctx.client_certificate;
        current = client.leaf();
        if (current == nullptr) {
            return mtls_refusal(
                "simplereenroll requires the certificate being renewed as the TLS client "
                "certificate");
        }
        if (auto renewable = check_renewable(profile, current, client.untrusted()); !renewable) {
            return std::move(renewable).take_error();
        }
    }

    // serverkeygen's CSR is a template: its signature is not a proof of
    // possession of a key the certificate will carry (RFC 7030 §4.4.1).
    auto csr =
        parse_bounded_csr(call.body, op == Operation::serverkeygen ? pki::CsrSignature::ignore
                                                                   : pki::CsrSignature::verify);
    if (!csr) {
        return std::move(csr).take_error();
    }
    if (current != nullptr) {
        if (auto same = check_reenroll_matches(*csr, current); !same) {
            return std::move(same).take_error();
        }
    }
    if (auto gate = check_csr_gates(profile, *csr, call); !gate) {
        return std::move(gate).take_error();
    }
    if (op == Operation::serverkeygen) {
        return server_keygen(profile, call, *csr);
    }
    auto cert = issue_certificate(profile, *csr, current);
    if (!cert) {
        return std::move(cert).take_error();
    }
    auto body = certs_only_body({cert->get()}, layout_for(profile, call));
    if (!body) {
        return std::move(body).take_error();
    }
    return issued(profile, ctx, cert->get(), {EstContent::certs_only, std::move(*body)});
}

EstService::Outcome EstService::issued(const EstProfile& profile, const RequestContext& ctx,
                                       X509* cert, EstAnswer answer) const {
    auto row = inventory_row(profile, ctx, cert);
    // The row has the subject and serial already: not formatted twice.
    std::string subject = row ? row->subject : pki::name_to_string(X509_get_subject_name(cert));
    std::string serial = row ? row->serial : pki::serial_hex(cert);
    return Outcome{std::move(answer), std::move(subject), std::move(serial), std::move(row)};
}

Result<pki::X509Ptr> EstService::issue_certificate(const EstProfile& profile, const pki::Csr& csr,
                                                   X509* renewing) {
    auto tmpl = build_template(profile, csr);
    if (!tmpl) {
        return std::move(tmpl).take_error();
    }
    if (renewing != nullptr) {
        if (auto same = check_renewal_template(*tmpl, renewing); !same) {
            return std::move(same).take_error();
        }
    }
    return profile.issuer->issue(std::move(*tmpl));
}

// The key is generated only once every gate passed and the recipient is known
// to be usable; it never reaches a log line, the audit row or the store.
Result<EstService::Outcome> EstService::server_keygen(const EstProfile& profile,
                                                      const EstCall& call, const pki::Csr& csr) {
    const auto mode = profile.config.serverkeygen_key_encryption;
    if (auto resolvable = check_decrypt_key_identifiers(csr); !resolvable) {
        return std::move(resolvable).take_error();
    }
    if (auto usable = check_key_recipient(csr, mode); !usable) {
        return std::move(usable).take_error();
    }
    // Refuse a request the profile refuses before paying for a key.
    if (profile.certificate_profile) {
        if (auto allowed = profile.certificate_profile->check_request(csr); !allowed) {
            return std::move(allowed).take_error();
        }
    }
    // Config refuses serverkeygen without a certificate profile; the default
    // (RSA-2048) keeps this total all the same.
    const config::KeyAlgorithm algorithm =
        profile.certificate_profile ? profile.certificate_profile->generated_key_algorithm()
                                    : policy::default_key_algorithms().front();
    auto generated = generate_request(csr, algorithm);
    if (!generated) {
        return std::move(generated).take_error();
    }
    auto cert = issue_certificate(profile, generated->csr);
    if (!cert) {
        return std::move(cert).take_error();
    }
    const bool enveloped = mode == config::ServerKeygenEncryption::cms;
    auto answer = serverkeygen_answer(generated->key.get(), cert->get(),
                                      enveloped ? csr.public_key() : nullptr, csr.subject(),
                                      layout_for(profile, call));
    if (!answer) {
        return std::move(answer).take_error();
    }
    return issued(profile, call.context, cert->get(),
                  {EstContent::serverkeygen, std::move(answer->body)});
}

Status EstService::record(const EstProfile& profile, const Caller& caller, Operation op,
                          const Result<Outcome>& outcome) {
    audit::AuditEvent event;
    event.profile = profile.config.display_name();
    event.source_ip = caller.client_ip;
    event.request_id = caller.request_id;
    event.issuer_id = profile.config.issuer_id;
    if (outcome) {
        event.action = std::string(success_code(op));
        // The status the client is answered with (the router's mapping).
        event.status = outcome->answer.content == EstContent::none ? 204 : 200;
        event.subject = outcome->subject;
        event.serial = outcome->serial;
    } else {
        const Error& error = outcome.error();
        const auto op_failure = std::string(failure_code(op));
        event.action = error.audit_code.empty() ? op_failure : error.audit_code;
        if (event.action != op_failure) {
            event.operation_action = op_failure;
        }
        event.status = static_cast<int>(status_of_(error.kind));
        event.reason = error.message;
    }
    if (event.action.empty()) {
        return Ok{};  // a failed cacerts/csrattrs without a gate code is not an outcome worth a row
    }
    if (outcome && !is_enrollment(op)) {
        // A successful cacerts or csrattrs hands out public data to anyone:
        // counted here and in the next summary, not a line and a row each
        // (they were most of such a request's cost).
        const auto index = static_cast<std::size_t>(&profile - profiles_.data());
        const auto cell = 2 * index + (op == Operation::csrattrs ? 1 : 0);
        unsummarized_reads_[cell].fetch_add(1, std::memory_order_relaxed);
        counters_.increment(event.profile, event.action);
        return Ok{};
    }
    auto written = audit_.record(event);
    if (!written) {
        spdlog::error("audit: {}", written.error().message);
        if (outcome && is_enrollment(op)) {
            // Not counted as a success: the caller withholds the certificate.
            return Error{ErrorKind::unavailable, std::string(failure_code(op)),
                         "its audit record could not be written to the audit log"};
        }
    }
    counters_.increment(event.profile, event.action);
    if (!event.operation_action.empty()) {
        counters_.increment(event.profile, event.operation_action);
    }
    return Ok{};
}

void EstService::summarize_reads() {
    for (std::size_t index = 0; index < profiles_.size(); ++index) {
        for (const Operation op : {Operation::cacerts, Operation::csrattrs}) {
            const auto cell = 2 * index + (op == Operation::csrattrs ? 1 : 0);
            const auto answered = unsummarized_reads_[cell].exchange(0, std::memory_order_relaxed);
            if (answered == 0) {
                continue;
            }
            const EstProfile& profile = profiles_[index];
            audit::AuditEvent event;
            event.action = std::string(success_code(op));
            event.profile = profile.config.display_name();
            event.issuer_id = profile.config.issuer_id;
            event.actor = std::string(kReadSummaryActor);
            event.status = 200;
            event.reason = fmt::format("{} answered since the previous summary", answered);
            if (auto written = audit_.record(event); !written) {
                spdlog::error("audit: {}", written.error().message);
            }
        }
    }
}

// Fail closed: the certificate is not delivered. Its row is already committed,
// so it is revoked there too: no client holds it, and the inventory and OCSP
// must not show it as good.
Error EstService::withhold(const EstProfile& profile, const std::string& serial, Error why) const {
    const std::string& issuer_id = profile.config.issuer_id;
    bool revoked = false;
    std::string not_revoked;
    if (revocations_ != nullptr) {
        store::RevocationRequest request;
        request.criteria.issuer_id = issuer_id;
        request.criteria.serials = {serial};
        request.reason = pki::kCrlReasonCessationOfOperation;
        request.actor = std::string(kWithheldActor);
        request.revoked_at = std::chrono::system_clock::now();
        auto done = revocations_->revoke(request);
        revoked = done && !done->empty();
        if (!done) {
            not_revoked = " (could not be revoked: " + done.error().message + ")";
        }
    }
    spdlog::error("certificate {} of issuer {} withheld{}{}: {}", serial, issuer_id,
                  revoked ? " and revoked" : "", not_revoked, why.message);
    why.message = "the certificate (serial " + serial + ") was issued but is withheld" +
                  (revoked ? " and revoked" : "") + ": " + why.message + "; try again later";
    return why;
}

}  // namespace estd::est
