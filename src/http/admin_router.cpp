// The operator API: /api/v1/admin/est/..., /api/v1/est/certificates...,
// /api/v1/audit. Authentication first, then one small function per endpoint.

#include <array>
#include <charconv>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/core/time_format.hpp"
#include "estd/core/version.hpp"
#include "estd/http/admin_api.hpp"
#include "estd/http/error_status.hpp"
#include "estd/http/metrics.hpp"
#include "estd/http/query.hpp"
#include "estd/http/response.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/crl.hpp"
#include "estd/pki/digest.hpp"

namespace estd::http {
namespace beast_http = boost::beast::http;
using nlohmann::json;

namespace {

constexpr const char* kJson = "application/json";

net::Response json_response(const net::Request& req, unsigned status, const json& body) {
    return make_response(req, status, kJson,
                         body.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

net::Response json_error_status(const net::Request& req, unsigned status,
                                const std::string& message) {
    return json_response(req, status, json{{"error", message}, {"status", status}});
}

// The operator API's answer to an error: its kind's status, and the Bearer
// challenge on unauthorized (API keys are the only credential here).
net::Response json_error(const net::Request& req, ErrorKind kind, const std::string& message) {
    auto res = json_error_status(req, status_of(kind), message);
    if (kind == ErrorKind::unauthorized) {
        res.set(beast_http::field::www_authenticate, "Bearer realm=\"estd\"");
    }
    return res;
}

std::string rfc3339(std::chrono::system_clock::time_point time) {
    return format_utc_rfc3339(time);
}

// Days until `time`, rounded down; negative once past.
long days_until(std::chrono::system_clock::time_point time) {
    const auto left = time - std::chrono::system_clock::now();
    return static_cast<long>(std::chrono::floor<std::chrono::days>(left).count());
}

// The guide's countdown colours: green >= 30 days, amber 7-30, red < 7.
std::string expiry_band(long days_left) {
    if (days_left < 0) {
        return "expired";
    }
    return days_left >= 30 ? "green" : days_left >= 7 ? "amber" : "red";
}

json trust_anchors_json(const est::EstProfile& profile) {
    json anchors = json::array();
    if (!profile.auth || !profile.auth->mtls_trust) {
        return anchors;
    }
    // The anchors in force now: a reload shows here at once.
    const auto verifier = profile.auth->mtls_trust->current();
    for (const auto& anchor : verifier->anchors()) {
        const auto not_after = pki::not_after(anchor.get());
        const long left = days_until(not_after);
        anchors.push_back(
            json{{"subject", pki::name_to_string(X509_get_subject_name(anchor.get()))},
                 {"fingerprint_sha256", pki::sha256_hex(pki::certificate_der(anchor.get()))},
                 {"not_before", rfc3339(pki::not_before(anchor.get()))},
                 {"not_after", rfc3339(not_after)},
                 {"days_left", left},
                 {"status", expiry_band(left)}});
    }
    return anchors;
}

json profile_json(const est::EstProfile& profile, const audit::ProfileCounters* counters) {
    const auto& c = profile.config;
    json modes = json::array();
    if (c.auth_mtls) {
        modes.push_back("mtls");
    }
    if (c.auth_basic) {
        modes.push_back("basic");
    }
    const std::string segment = c.legacy_root() ? "" : c.path_id + "/";
    json routes = json::array({"/.well-known/est/" + segment});
    if (c.auth_mtls) {
        routes.push_back("/.well-known/est-mtls/" + segment);
    }
    json counter_grid = json::object();
    if (counters != nullptr) {
        for (const auto& [code, value] : counters->snapshot(c.display_name())) {
            counter_grid[code] = value;
        }
    }
    return {{"path_id", c.path_id},
            {"name", c.display_name()},
            {"legacy_root", c.legacy_root()},
            {"issuer_id", c.issuer_id},
            {"profile_id", c.profile_id},
            {"auth_modes", modes},
            {"anonymous", c.anonymous()},
            {"mtls_enabled", c.mtls_enabled},
            {"channel_binding_required", c.channel_binding_required},
            {"rate_limit_per_principal_24h", c.rate_limit_per_principal_24h},
            {"serverkeygen_enabled", c.serverkeygen_enabled},
            {"routes", routes},
            {"trust_anchors", trust_anchors_json(profile)},
            {"counters", counter_grid}};
}

std::string certificate_status(const store::CertificateRecord& record) {
    if (record.revocation) {
        return "revoked";
    }
    return record.not_after <= std::chrono::system_clock::now() ? "expired" : "active";
}

json certificate_json(const store::CertificateRecord& r, bool with_pem) {
    json out = {{"serial", r.serial},
                {"issuer_id", r.issuer_id},
                {"source", r.source},
                {"est_profile", r.est_profile},
                {"profile_id", r.profile_id},
                {"subject", r.subject},
                {"common_name", r.common_name},
                {"subject_alt_names", r.subject_alt_names},
                {"not_before", rfc3339(r.not_before)},
                {"not_after", rfc3339(r.not_after)},
                {"fingerprint_sha256", r.fingerprint},
                {"public_key_sha256", r.public_key_sha256},
                {"auth_mode", r.auth_mode},
                {"source_ip", r.source_ip},
                {"request_id", r.request_id},
                {"issued_at", rfc3339(r.issued_at)},
                {"status", certificate_status(r)}};
    if (r.revocation) {
        out["revocation"] = {{"reason", std::string(pki::crl_reason_name(r.revocation->reason))},
                             {"revoked_at", rfc3339(r.revocation->revoked_at)},
                             {"revoked_by", r.revocation->actor}};
    }
    if (with_pem && !r.der.empty()) {
        if (auto cert = pki::parse_certificate_der(r.der)) {
            out["pem"] = pki::certificate_pem(cert->get());
        }
    }
    return out;
}

json audit_json(const store::AuditRecord& record) {
    const auto& e = record.event;
    json out = {{"id", record.id}, {"time", rfc3339(record.time)}, {"action", e.action}};
    const auto put = [&](const char* key, const std::string& value) {
        if (!value.empty()) {
            out[key] = value;
        }
    };
    put("operation_action", e.operation_action);
    put("profile", e.profile);
    put("source_ip", e.source_ip);
    put("subject", e.subject);
    put("serial", e.serial);
    put("issuer_id", e.issuer_id);
    put("request_id", e.request_id);
    put("actor", e.actor);
    put("reason", e.reason);
    if (e.status != 0) {
        out["status"] = e.status;
    }
    return out;
}

// Query parameters shared by the listings.
struct Paging {
    std::size_t limit = store::kDefaultPageSize;
    std::int64_t cursor = 0;
};

Result<Paging> read_paging(const std::map<std::string, std::string>& params) {
    Paging paging;
    if (auto found = params.find("limit"); found != params.end()) {
        std::size_t limit = 0;
        const auto& text = found->second;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
        if (ec != std::errc() || end != text.data() + text.size() || limit == 0 ||
            limit > store::kMaxPageSize) {
            return Error::bad_request("limit must be a number from 1 to " +
                                      std::to_string(store::kMaxPageSize));
        }
        paging.limit = limit;
    }
    if (auto found = params.find("cursor"); found != params.end()) {
        const auto& text = found->second;
        const auto [end, ec] =
            std::from_chars(text.data(), text.data() + text.size(), paging.cursor);
        if (ec != std::errc() || end != text.data() + text.size() || paging.cursor <= 0) {
            return Error::bad_request("cursor must be a next_cursor value from a previous page");
        }
    }
    return paging;
}

Result<std::optional<std::chrono::system_clock::time_point>> read_time(
    const std::map<std::string, std::string>& params, const char* name) {
    const auto found = params.find(name);
    if (found == params.end() || found->second.empty()) {
        return std::optional<std::chrono::system_clock::time_point>();
    }
    auto time = parse_rfc3339(found->second);
    if (!time) {
        return Error::bad_request(std::string(name) +
                                  " must be an RFC 3339 time (2026-01-31T12:00:00Z)");
    }
    return std::optional(*time);
}

std::string param(const std::map<std::string, std::string>& params, const char* name) {
    const auto found = params.find(name);
    return found == params.end() ? std::string() : found->second;
}

Result<json> parse_json_body(const net::Request& req) {
    const auto& body = req.body();
    if (!json_depth_within(body, AdminApi::kMaxJsonDepth)) {
        return Error::bad_request("the JSON body nests too deeply");
    }
    // nlohmann keeps the last of two equal keys; a front end or log reader
    // may take the first. One object's keys are checked at a time: the
    // innermost open object is the one a key belongs to.
    std::vector<std::set<std::string>> open_objects;
    bool duplicate = false;
    const json::parser_callback_t check_keys = [&](int /*depth*/, json::parse_event_t event,
                                                   json& parsed) {
        if (event == json::parse_event_t::object_start) {
            open_objects.emplace_back();
        } else if (event == json::parse_event_t::object_end && !open_objects.empty()) {
            open_objects.pop_back();
        } else if (event == json::parse_event_t::key && !open_objects.empty() &&
                   !open_objects.back().insert(parsed.get<std::string>()).second) {
            duplicate = true;
        }
        return true;
    };
    auto parsed = json::parse(body, check_keys, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return Error::bad_request("the body must be a JSON object");
    }
    if (duplicate) {
        return Error::bad_request("the body names a key twice in one object");
    }
    return parsed;
}

Result<std::string> string_field(const json& body, const char* name) {
    const auto found = body.find(name);
    if (found == body.end() || found->is_null()) {
        return std::string();
    }
    if (!found->is_string()) {
        return Error::bad_request(std::string(name) + " must be a string");
    }
    return found->get<std::string>();
}

Result<std::optional<std::chrono::system_clock::time_point>> time_field(const json& body,
                                                                        const char* name) {
    auto text = string_field(body, name);
    if (!text) {
        return std::move(text).take_error();
    }
    return read_time({{name, *text}}, name);
}

// The bulk-revoke body: the guide's {reason, profile_id} plus optional
// filters. Unknown fields are refused: a misspelt filter would otherwise
// widen the revocation instead of narrowing it.
struct BulkRevokeInput {
    store::CertificateCriteria criteria;
    int reason = 0;
    bool dry_run = false;  // count what would be revoked, change nothing
};

Status read_serials(const json& body, BulkRevokeInput& input) {
    const auto found = body.find("serials");
    if (found == body.end() || found->is_null()) {
        return Ok{};
    }
    if (!found->is_array() || found->size() > AdminApi::kMaxSerials) {
        return Error::bad_request("serials must be an array of at most " +
                                  std::to_string(AdminApi::kMaxSerials) + " hex strings");
    }
    for (const auto& serial : *found) {
        const bool hex = serial.is_string() && !serial.get<std::string>().empty() &&
                         serial.get<std::string>().find_first_not_of("0123456789abcdefABCDEF:") ==
                             std::string::npos;
        if (!hex) {
            return Error::bad_request("serials must be hex strings (e.g. 4f1c...)");
        }
        input.criteria.serials.push_back(serial.get<std::string>());
    }
    if (input.criteria.serials.empty()) {
        return Error::bad_request("serials is empty: leave it out or list serials");
    }
    return Ok{};
}

Result<BulkRevokeInput> read_bulk_revoke(const json& body) {
    static const std::set<std::string> kKnown = {
        "reason",        "profile_id",   "issuer_id", "serials",     "common_name",
        "issued_before", "issued_after", "source",    "est_profile", "dry_run"};
    for (const auto& [key, value] : body.items()) {
        if (!kKnown.contains(key)) {
            return Error::bad_request("unknown field \"" + key + "\"");
        }
    }
    BulkRevokeInput input;
    if (const auto dry_run = body.find("dry_run"); dry_run != body.end()) {
        if (!dry_run->is_boolean()) {
            return Error::bad_request("dry_run must be true or false");
        }
        input.dry_run = dry_run->get<bool>();
    }
    auto reason = string_field(body, "reason");
    if (!reason) {
        return std::move(reason).take_error();
    }
    const auto code = pki::parse_crl_reason(reason->empty() ? "unspecified" : *reason);
    if (!code) {
        return Error::bad_request(
            "reason must be an RFC 5280 reason: unspecified, keyCompromise, cACompromise, "
            "affiliationChanged, superseded, cessationOfOperation, certificateHold, "
            "privilegeWithdrawn, aACompromise");
    }
    input.reason = *code;
    auto& c = input.criteria;
    for (auto [name, target] :
         std::array<std::pair<const char*, std::string*>, 4>{{{"profile_id", &c.profile_id},
                                                              {"issuer_id", &c.issuer_id},
                                                              {"common_name", &c.common_name},
                                                              {"est_profile", &c.est_profile}}}) {
        auto value = string_field(body, name);
        if (!value) {
            return std::move(value).take_error();
        }
        *target = std::move(*value);
    }
    if (auto serials = read_serials(body, input); !serials) {
        return std::move(serials).take_error();
    }
    for (auto [name, target] :
         std::array<std::pair<const char*, std::optional<std::chrono::system_clock::time_point>*>,
                    2>{{{"issued_before", &c.issued_before}, {"issued_after", &c.issued_after}}}) {
        auto value = time_field(body, name);
        if (!value) {
            return std::move(value).take_error();
        }
        *target = *value;
    }
    if (c.empty()) {
        return Error::bad_request(
            "name at least one criterion (profile_id, issuer_id, serials, common_name, "
            "est_profile, issued_before, issued_after): revoking everything is not a bulk "
            "revoke");
    }
    // The guide: source is pinned to EST whatever the body says.
    c.source = "EST";
    return input;
}

// What a bulk revoke with these criteria would revoke now: the matching
// certificates not revoked yet (expired ones included, as the revoke does).
// The console's confirmation shows this count before the operator commits.
net::Response bulk_revoke_dry_run(const net::Request& req,
                                  store::CertificateInventory& certificates,
                                  const store::CertificateCriteria& criteria) {
    constexpr std::size_t kListed = 20;
    store::CertificateQuery query;
    query.criteria = criteria;
    query.limit = store::kMaxPageSize;
    std::size_t count = 0;
    json serials = json::array();
    for (;;) {
        auto page = certificates.list_certificates(query);
        if (!page) {
            spdlog::error("bulk revoke dry run: {}", page.error().message);
            return json_error(req, ErrorKind::unavailable, "the inventory cannot be read now");
        }
        for (const auto& record : page->items) {
            if (record.revocation) {
                continue;
            }
            ++count;
            if (serials.size() < kListed) {
                serials.push_back(record.serial);
            }
        }
        if (!page->next_cursor) {
            break;
        }
        query.before_id = *page->next_cursor;
    }
    return json_response(req, 200,
                         json{{"dry_run", true},
                              {"would_revoke_count", count},
                              {"serials", serials},
                              {"serials_truncated", count > serials.size()}});
}

}  // namespace

AdminApi::AdminApi(Dependencies deps) : deps_(std::move(deps)), keys_(deps_.keys) {
}

net::Response AdminApi::handle(const net::Request& req, const pki::PeerIdentity& peer,
                               const std::string& request_id) {
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));

    struct Endpoint {
        beast_http::verb method;
        std::string_view path;
        bool admin;
        net::Response (AdminApi::*handler)(const Call&);
    };
    static constexpr std::array<Endpoint, 7> kEndpoints = {{
        {beast_http::verb::get, "/api/v1/admin/est/profiles", true, &AdminApi::profiles},
        {beast_http::verb::post, "/api/v1/admin/est/reload-trust", true, &AdminApi::reload_trust},
        {beast_http::verb::post, "/api/v1/est/certificates/bulk-revoke", true,
         &AdminApi::bulk_revoke},
        {beast_http::verb::get, "/api/v1/est/certificates", false, &AdminApi::certificates},
        {beast_http::verb::get, "/api/v1/audit", true, &AdminApi::audit_events},
        {beast_http::verb::get, "/api/v1/metrics", false, &AdminApi::metrics},
        {beast_http::verb::get, "/api/v1/status", false, &AdminApi::status},
    }};
    const Endpoint* endpoint = nullptr;
    for (const auto& candidate : kEndpoints) {
        if (candidate.path == path) {
            endpoint = &candidate;
        }
    }
    // Authentication before anything else, even whether the endpoint
    // exists or takes the method: an unauthenticated caller learns nothing
    // about the API.
    auto caller = keys_.authenticate(req[beast_http::field::authorization]);
    if (!caller) {
        return json_error(req, ErrorKind::unauthorized,
                          "a valid API key is required: Authorization: Bearer <key>");
    }
    if (endpoint == nullptr) {
        return json_error(req, ErrorKind::not_found,
                          "no operator API endpoint at " + std::string(path));
    }
    if (req.method() != endpoint->method) {
        auto res = json_error_status(req, 405,
                                     std::string(path) + " accepts only " +
                                         std::string(beast_http::to_string(endpoint->method)));
        res.set(beast_http::field::allow, beast_http::to_string(endpoint->method));
        return res;
    }
    if (endpoint->admin && !caller->admin) {
        return json_error(req, ErrorKind::forbidden,
                          "API key \"" + caller->name + "\" is not an admin key");
    }
    return (this->*endpoint->handler)(Call{req, peer, request_id, std::move(*caller)});
}

net::Response AdminApi::profiles(const Call& call) {
    json list = json::array();
    if (deps_.est != nullptr) {
        for (const auto& profile : deps_.est->profiles()) {
            list.push_back(profile_json(profile, deps_.counters));
        }
    }
    return json_response(call.req, 200, json{{"profiles", list}});
}

net::Response AdminApi::reload_trust(const Call& call) {
    std::optional<std::string> path_id;
    if (!call.req.body().empty()) {
        auto body = parse_json_body(call.req);
        if (!body) {
            return json_error(call.req, ErrorKind::bad_request, body.error().message);
        }
        auto value = string_field(*body, "path_id");
        if (!value) {
            return json_error(call.req, ErrorKind::bad_request, value.error().message);
        }
        if (body->contains("path_id")) {
            path_id = *value;
        }
    }
    if (!deps_.reload_trust) {
        // INTEGRATION POINT (issue 3): main wires the trust-bundle reload of
        // src/auth/ into Dependencies::reload_trust.
        return json_error(call.req, ErrorKind::not_implemented,
                          "trust-anchor reload is not available in this build");
    }
    if (path_id && deps_.est != nullptr) {
        bool known = false;
        for (const auto& profile : deps_.est->profiles()) {
            known = known || profile.config.path_id == *path_id;
        }
        if (!known) {
            return json_error(call.req, ErrorKind::not_found,
                              "no EST profile with path_id \"" + *path_id + "\"");
        }
    }
    json results = json::array();
    bool all_ok = true;
    for (const auto& outcome : deps_.reload_trust(call.caller.name, path_id)) {
        json entry = {{"path_id", outcome.path_id}, {"ok", outcome.ok}};
        if (outcome.ok) {
            entry["changed"] = outcome.changed;
        } else {
            entry["error"] = outcome.error;
            all_ok = false;
        }
        results.push_back(std::move(entry));
    }
    if (path_id && results.empty()) {
        return json_error(call.req, ErrorKind::conflict,
                          "EST profile \"" + *path_id + "\" has no mTLS trust bundle to reload");
    }
    // 207: some profiles reloaded, some kept their old anchors.
    return json_response(call.req, all_ok ? 200 : 207, json{{"results", results}});
}

net::Response AdminApi::bulk_revoke(const Call& call) {
    auto body = parse_json_body(call.req);
    if (!body) {
        return json_error(call.req, ErrorKind::bad_request, body.error().message);
    }
    auto input = read_bulk_revoke(*body);
    if (!input) {
        return json_error(call.req, ErrorKind::bad_request, input.error().message);
    }
    if (input->dry_run) {
        return bulk_revoke_dry_run(call.req, *deps_.certificates, input->criteria);
    }
    store::RevocationRequest request;
    request.criteria = input->criteria;
    request.reason = input->reason;
    request.actor = call.caller.name;
    request.revoked_at = std::chrono::system_clock::now();
    auto revoked = deps_.revocations->revoke(request);
    if (!revoked) {
        spdlog::error("bulk revoke: {}", revoked.error().message);
        return json_error(call.req, ErrorKind::unavailable,
                          "the revocation could not be recorded; nothing changed");
    }
    // CRLs of the issuers touched are rebuilt before answering: the guide's
    // "next refresh cycle" is an hour, ours is now.
    std::set<std::string> issuers;
    json serials = json::array();
    for (const auto& cert : *revoked) {
        issuers.insert(cert.issuer_id);
        if (serials.size() < kMaxSerials) {
            serials.push_back(cert.serial);
        }
    }
    json crl_errors = json::array();
    for (const auto& issuer_id : issuers) {
        if (deps_.crls == nullptr) {
            break;
        }
        if (auto rebuilt = deps_.crls->regenerate(issuer_id); !rebuilt) {
            spdlog::error("CRL for issuer {}: {}", issuer_id, rebuilt.error().message);
            crl_errors.push_back({{"issuer_id", issuer_id}, {"error", rebuilt.error().message}});
        }
    }
    const std::string reason_name(pki::crl_reason_name(input->reason));
    audit::AuditEvent event;
    event.action = std::string(audit::codes::kBulkRevoke);
    event.actor = call.caller.name;
    event.request_id = call.request_id;
    event.source_ip = call.peer.address;
    event.issuer_id = input->criteria.issuer_id;
    event.reason =
        reason_name + ": " + std::to_string(revoked->size()) + " certificate(s) revoked" +
        (input->criteria.profile_id.empty() ? std::string()
                                            : " (profile_id " + input->criteria.profile_id + ")");
    event.status = 200;
    std::optional<std::string> audit_error;
    if (deps_.audit != nullptr) {
        if (auto written = deps_.audit->record(event); !written) {
            spdlog::error("audit: {}", written.error().message);
            audit_error = written.error().message;
        }
    }
    json answer = {{"revoked_count", revoked->size()},
                   {"reason", reason_name},
                   {"serials", serials},
                   {"serials_truncated", revoked->size() > kMaxSerials}};
    if (!crl_errors.empty()) {
        answer["crl_errors"] = crl_errors;
    }
    // The revocation stands either way (docs/security.md); the operator
    // learns that its record is missing from the answer, not only the log.
    if (audit_error) {
        answer["audit_error"] = *audit_error;
    }
    return json_response(call.req, 200, answer);
}

net::Response AdminApi::certificates(const Call& call) {
    const auto params = parse_query(call.req.target());
    if (!params) {
        return json_error(call.req, ErrorKind::bad_request, "malformed query string");
    }
    auto paging = read_paging(*params);
    auto before = read_time(*params, "issued_before");
    auto after = read_time(*params, "issued_after");
    for (const Error* error :
         {paging ? nullptr : &paging.error(), before ? nullptr : &before.error(),
          after ? nullptr : &after.error()}) {
        if (error != nullptr) {
            return json_error(call.req, ErrorKind::bad_request, error->message);
        }
    }
    store::CertificateQuery query;
    auto& c = query.criteria;
    c.issuer_id = param(*params, "issuer_id");
    c.profile_id = param(*params, "profile_id");
    c.est_profile = param(*params, "est_profile");
    c.common_name = param(*params, "common_name");
    c.issued_before = *before;
    c.issued_after = *after;
    if (const auto serial = param(*params, "serial"); !serial.empty()) {
        c.serials.push_back(serial);
    }
    const auto status = param(*params, "status");
    if (status == "active") {
        c.state = store::CertificateState::active;
    } else if (status == "revoked") {
        c.state = store::CertificateState::revoked;
    } else if (!status.empty() && status != "all") {
        return json_error(call.req, ErrorKind::bad_request,
                          "status must be active, revoked or all");
    }
    const bool with_pem = param(*params, "include") == "pem";
    query.include_der = with_pem;
    query.limit = paging->limit;
    query.before_id = paging->cursor;
    auto page = deps_.certificates->list_certificates(query);
    if (!page) {
        spdlog::error("certificates: {}", page.error().message);
        return json_error(call.req, ErrorKind::unavailable, "the inventory cannot be read now");
    }
    json items = json::array();
    for (const auto& record : page->items) {
        items.push_back(certificate_json(record, with_pem));
    }
    json answer = {{"certificates", items}};
    answer["next_cursor"] =
        page->next_cursor ? json(std::to_string(*page->next_cursor)) : json(nullptr);
    return json_response(call.req, 200, answer);
}

net::Response AdminApi::audit_events(const Call& call) {
    const auto params = parse_query(call.req.target());
    if (!params) {
        return json_error(call.req, ErrorKind::bad_request, "malformed query string");
    }
    auto paging = read_paging(*params);
    auto since = read_time(*params, "since");
    auto until = read_time(*params, "until");
    for (const Error* error : {paging ? nullptr : &paging.error(), since ? nullptr : &since.error(),
                               until ? nullptr : &until.error()}) {
        if (error != nullptr) {
            return json_error(call.req, ErrorKind::bad_request, error->message);
        }
    }
    store::AuditQuery query;
    // A comma-separated list: audit codes hold no commas, and the console's
    // "All" chip is the union of the guide's four prefixes in one page.
    const std::string prefix_list = param(*params, "action_prefix");
    for (std::string_view prefixes = prefix_list; !prefixes.empty();) {
        const auto comma = prefixes.find(',');
        if (const auto prefix = prefixes.substr(0, comma); !prefix.empty()) {
            query.action_prefixes.emplace_back(prefix);
        }
        prefixes =
            comma == std::string_view::npos ? std::string_view() : prefixes.substr(comma + 1);
    }
    query.profile = param(*params, "profile");
    query.actor = param(*params, "actor");
    query.serial = param(*params, "serial");
    query.since = *since;
    query.until = *until;
    query.limit = paging->limit;
    query.before_id = paging->cursor;
    // Rows are queued behind enrollments; make what was recorded visible.
    (void)deps_.audit_archive->flush();
    auto page = deps_.audit_archive->list_audit(query);
    if (!page) {
        spdlog::error("audit: {}", page.error().message);
        return json_error(call.req, ErrorKind::unavailable, "the audit trail cannot be read now");
    }
    json items = json::array();
    for (const auto& record : page->items) {
        items.push_back(audit_json(record));
    }
    json answer = {{"events", items}};
    answer["next_cursor"] =
        page->next_cursor ? json(std::to_string(*page->next_cursor)) : json(nullptr);
    return json_response(call.req, 200, answer);
}

net::Response AdminApi::metrics(const Call& call) {
    if (deps_.metrics == nullptr) {
        return json_error(call.req, ErrorKind::not_found,
                          "metrics are not available in this build");
    }
    return make_response(call.req, 200, kPrometheusTextContentType,
                         prometheus_text(*deps_.metrics));
}

net::Response AdminApi::status(const Call& call) {
    // Who the key is: the console's sign-in shows it and hides admin pages
    // from a read-only key (the endpoints refuse it anyway).
    json answer = {{"version", kVersion},
                   {"store", deps_.store_backend},
                   {"key", {{"name", call.caller.name}, {"admin", call.caller.admin}}}};
    if (deps_.readiness) {
        const auto ready = deps_.readiness();
        answer["ready"] = static_cast<bool>(ready);
        if (!ready) {
            answer["not_ready_reason"] = ready.error().message;
        }
    }
    json issuers = json::array();
    for (const auto* issuer : deps_.issuers) {
        issuers.push_back(
            {{"id", issuer->id()},
             {"ready", issuer->ready()},
             {"ca_subject", pki::name_to_string(X509_get_subject_name(issuer->ca_certificate()))},
             {"ca_not_after", rfc3339(pki::not_after(issuer->ca_certificate()))}});
    }
    answer["issuers"] = issuers;
    answer["profiles"] = deps_.est != nullptr ? deps_.est->profiles().size() : 0U;
    return json_response(call.req, 200, answer);
}

}  // namespace estd::http
