#include "admin_commands.hpp"

#include <algorithm>
#include <iostream>

#include "est_commands.hpp"
#include "estd/client/operator_client.hpp"
#include "exit_codes.hpp"

namespace estd::cli {

namespace {

using nlohmann::json;

constexpr int kMaxPages = 1000;

using Row = std::vector<std::string>;

// Left-aligned columns, two spaces apart: for people, --json is for scripts.
void print_table(const Row& header, const std::vector<Row>& rows) {
    std::vector<std::size_t> widths(header.size());
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    const auto print = [&](const Row& row) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) {
                line += std::string(std::max(widths[i], header[i].size()) - row[i].size() + 2, ' ');
            }
        }
        std::cout << line << "\n";
    };
    for (std::size_t i = 0; i < header.size(); ++i) {
        widths[i] = std::max(widths[i], header[i].size());
    }
    print(header);
    for (const auto& row : rows) {
        print(row);
    }
}

std::string text(const json& object, const char* key, const std::string& fallback = "-") {
    if (!object.contains(key) || object[key].is_null()) {
        return fallback;
    }
    const auto& value = object[key];
    if (value.is_string()) {
        return value.get<std::string>().empty() ? fallback : value.get<std::string>();
    }
    return value.dump();
}

std::string joined(const json& array, const std::string& empty) {
    std::string out;
    for (const auto& item : array) {
        out +=
            (out.empty() ? "" : ",") + (item.is_string() ? item.get<std::string>() : item.dump());
    }
    return out.empty() ? empty : out;
}

Result<client::OperatorClient> make_operator(const EstOptions& o) {
    warn_if_insecure(o);
    auto options = operator_options(o);
    if (!options) {
        return std::move(options).take_error();
    }
    return client::OperatorClient(std::move(options).value());
}

void print_json(const json& value) {
    std::cout << value.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

std::string anchors_summary(const json& anchors) {
    if (!anchors.is_array() || anchors.empty()) {
        return "-";
    }
    const json* nearest = &anchors.front();
    for (const auto& anchor : anchors) {
        if (anchor.value("days_left", 0L) < nearest->value("days_left", 0L)) {
            nearest = &anchor;
        }
    }
    return std::to_string(anchors.size()) + " (nearest " +
           std::to_string(nearest->value("days_left", 0L)) + "d " + text(*nearest, "status") + ")";
}

int run_profiles(client::OperatorClient& api, const AdminOptions& a) {
    auto answer = api.get("/api/v1/admin/est/profiles");
    if (!answer) {
        return report_failure(answer.error());
    }
    if (a.json) {
        print_json(answer->body);
        return kExitOk;
    }
    std::vector<Row> rows;
    const json profiles = answer->body.value("profiles", json::array());
    for (const auto& p : profiles) {
        rows.push_back({p.value("legacy_root", false) ? "(root)" : text(p, "path_id"),
                        joined(p.value("auth_modes", json::array()), "anonymous"),
                        text(p, "issuer_id"), text(p, "profile_id"),
                        p.value("channel_binding_required", false) ? "required" : "-",
                        p.value("serverkeygen_enabled", false) ? "yes" : "-",
                        text(p, "rate_limit_per_principal_24h"),
                        anchors_summary(p.value("trust_anchors", json::array()))});
    }
    print_table({"PROFILE", "AUTH", "ISSUER", "CERT PROFILE", "BINDING", "KEYGEN", "RATE/24H",
                 "TRUST ANCHORS"},
                rows);
    for (const auto& p : profiles) {
        std::string counters;
        const json grid = p.value("counters", json::object());
        for (const auto& [code, value] : grid.items()) {
            if (value.is_number() && value.get<long long>() != 0) {
                counters += " " + code + "=" + value.dump();
            }
        }
        if (!counters.empty()) {
            std::cout << (p.value("legacy_root", false) ? "(root)" : text(p, "path_id")) << ":"
                      << counters << "\n";
        }
    }
    return kExitOk;
}

int run_reload_trust(client::OperatorClient& api, const AdminOptions& a) {
    json body = json::object();
    if (!a.path_id.empty()) {
        body["path_id"] = a.path_id;
    }
    auto answer = api.post("/api/v1/admin/est/reload-trust", body);
    if (!answer) {
        return report_failure(answer.error());
    }
    if (a.json) {
        print_json(answer->body);
    } else {
        std::vector<Row> rows;
        for (const auto& r : answer->body.value("results", json::array())) {
            const std::string result = !r.value("ok", false)
                                           ? "KEPT OLD ANCHORS: " + text(r, "error", "")
                                       : r.value("changed", true) ? "reloaded"
                                                                  : "unchanged";
            rows.push_back({text(r, "path_id"), result});
        }
        print_table({"PROFILE", "RESULT"}, rows);
    }
    // 207: at least one profile kept its previous anchors.
    return answer->status == 200 ? kExitOk : kExitFailure;
}

json revoke_body(const AdminOptions& a) {
    json body = json::object();
    const auto put = [&](const char* key, const std::string& value) {
        if (!value.empty()) {
            body[key] = value;
        }
    };
    put("reason", a.reason);
    put("profile_id", a.profile_id);
    put("issuer_id", a.issuer_id);
    put("est_profile", a.est_profile);
    put("common_name", a.common_name);
    put("issued_before", a.issued_before);
    put("issued_after", a.issued_after);
    if (!a.serials.empty()) {
        body["serials"] = a.serials;
    }
    return body;
}

int run_bulk_revoke(client::OperatorClient& api, const AdminOptions& a) {
    auto answer = api.post("/api/v1/est/certificates/bulk-revoke", revoke_body(a));
    if (!answer) {
        return report_failure(answer.error());
    }
    const json& r = answer->body;
    if (a.json) {
        print_json(r);
    } else {
        std::cout << "revoked " << text(r, "revoked_count", "0") << " certificate(s), reason "
                  << text(r, "reason") << "\n";
        for (const auto& serial : r.value("serials", json::array())) {
            std::cout << "  " << serial.get<std::string>() << "\n";
        }
        if (r.value("serials_truncated", false)) {
            std::cout << "  (list truncated)\n";
        }
    }
    if (r.contains("crl_errors") && !r["crl_errors"].empty()) {
        std::cerr << "estctl: error: the revocation stands but a CRL rebuild failed: "
                  << r["crl_errors"].dump() << "\n";
        return kExitFailure;
    }
    return kExitOk;
}

// Every page (with --all) of a listing, merged into one array.
Result<json> fetch_pages(client::OperatorClient& api, const std::string& path,
                         client::QueryParameters query, const char* key, bool all_pages) {
    json items = json::array();
    for (int page = 0; page < kMaxPages; ++page) {
        auto answer = api.get(path, query);
        if (!answer) {
            return std::move(answer).take_error();
        }
        for (auto& item : answer->body.value(key, json::array())) {
            items.push_back(std::move(item));
        }
        const json cursor = answer->body.value("next_cursor", json());
        if (!all_pages || !cursor.is_string()) {
            return json{{key, items}, {"next_cursor", cursor}};
        }
        std::erase_if(query, [](const auto& kv) { return kv.first == "cursor"; });
        query.emplace_back("cursor", cursor.get<std::string>());
    }
    return Error::protocol("more than " + std::to_string(kMaxPages) + " pages");
}

void add_query(client::QueryParameters& query, const char* name, const std::string& value) {
    if (!value.empty()) {
        query.emplace_back(name, value);
    }
}

int run_certs(client::OperatorClient& api, const AdminOptions& a) {
    client::QueryParameters query;
    add_query(query, "issuer_id", a.issuer_id);
    add_query(query, "profile_id", a.profile_id);
    add_query(query, "est_profile", a.est_profile);
    add_query(query, "common_name", a.common_name);
    add_query(query, "serial", a.serials.empty() ? "" : a.serials.front());
    add_query(query, "status", a.status);
    add_query(query, "issued_before", a.issued_before);
    add_query(query, "issued_after", a.issued_after);
    add_query(query, "include", a.include_pem ? "pem" : "");
    add_query(query, "limit", a.limit > 0 ? std::to_string(a.limit) : "");
    auto listing = fetch_pages(api, "/api/v1/est/certificates", query, "certificates", a.all_pages);
    if (!listing) {
        return report_failure(listing.error());
    }
    if (a.json) {
        print_json(*listing);
        return kExitOk;
    }
    std::vector<Row> rows;
    for (const auto& c : (*listing)["certificates"]) {
        rows.push_back({text(c, "serial"), text(c, "common_name"), text(c, "est_profile"),
                        text(c, "status"), text(c, "not_after"), text(c, "issuer_id")});
    }
    print_table({"SERIAL", "COMMON NAME", "EST PROFILE", "STATUS", "NOT AFTER", "ISSUER"}, rows);
    if ((*listing)["next_cursor"].is_string()) {
        std::cout << "(more: --all, or --json for next_cursor)\n";
    }
    return kExitOk;
}

int run_audit(client::OperatorClient& api, const AdminOptions& a) {
    client::QueryParameters query;
    add_query(query, "action_prefix", a.action_prefix);
    add_query(query, "profile", a.profile);
    add_query(query, "actor", a.actor);
    add_query(query, "serial", a.serials.empty() ? "" : a.serials.front());
    add_query(query, "since", a.since);
    add_query(query, "until", a.until);
    add_query(query, "limit", a.limit > 0 ? std::to_string(a.limit) : "");
    auto listing = fetch_pages(api, "/api/v1/audit", query, "events", a.all_pages);
    if (!listing) {
        return report_failure(listing.error());
    }
    if (a.json) {
        print_json(*listing);
        return kExitOk;
    }
    std::vector<Row> rows;
    for (const auto& e : (*listing)["events"]) {
        rows.push_back({text(e, "time"), text(e, "action"), text(e, "profile"), text(e, "subject"),
                        text(e, "serial"), text(e, "status"), text(e, "reason")});
    }
    print_table({"TIME", "ACTION", "PROFILE", "SUBJECT", "SERIAL", "STATUS", "REASON"}, rows);
    if ((*listing)["next_cursor"].is_string()) {
        std::cout << "(more: --all, or --json for next_cursor)\n";
    }
    return kExitOk;
}

void add_paging(CLI::App& app, AdminOptions& a) {
    app.add_option("--limit", a.limit, "rows per page (1-500)")->check(CLI::Range(1, 500));
    app.add_flag("--all", a.all_pages, "follow next_cursor through every page");
}

}  // namespace

void add_admin_commands(CLI::App& admin, EstOptions& o, AdminOptions& a, AdminVerb& chosen) {
    const auto verb = [&](const char* name, const char* help, AdminVerb value) {
        CLI::App* app = admin.add_subcommand(name, help);
        add_server_options(*app, o);
        app->add_option("--api-key-file", o.api_key_file,
                        "file whose first line is the Bearer key (default: $CERTCTL_API_KEY)");
        app->add_flag("--json", a.json, "print the API's JSON instead of a table");
        app->parse_complete_callback([&chosen, value] { chosen = value; });
        return app;
    };
    verb("profiles", "every EST profile: auth modes, trust anchors, counters", AdminVerb::profiles);
    CLI::App* reload = verb("reload-trust", "re-read the mTLS trust bundles (SIGHUP equivalent)",
                            AdminVerb::reload_trust);
    reload->add_option("--profile", a.path_id, "only this EST profile (PathID)");

    CLI::App* revoke = verb("bulk-revoke", "revoke every EST certificate matching ALL criteria",
                            AdminVerb::bulk_revoke);
    revoke->add_option("--reason", a.reason, "RFC 5280 reason, e.g. keyCompromise");
    revoke->add_option("--profile-id", a.profile_id, "certificate profile id");
    revoke->add_option("--issuer-id", a.issuer_id, "issuer id");
    revoke->add_option("--est-profile", a.est_profile, "EST profile PathID");
    revoke->add_option("--cn", a.common_name, "exact subject CN");
    revoke->add_option("--serial", a.serials, "serial in hex (repeatable)");
    revoke->add_option("--issued-before", a.issued_before, "RFC 3339 time");
    revoke->add_option("--issued-after", a.issued_after, "RFC 3339 time");

    CLI::App* certs = verb("certs", "the issued-certificate inventory", AdminVerb::certs);
    certs->add_option("--issuer-id", a.issuer_id, "issuer id");
    certs->add_option("--profile-id", a.profile_id, "certificate profile id");
    certs->add_option("--est-profile", a.est_profile, "EST profile PathID");
    certs->add_option("--cn", a.common_name, "exact subject CN");
    certs->add_option("--serial", a.serials, "serial in hex")->expected(1);
    certs->add_option("--status", a.status, "active, revoked or all");
    certs->add_option("--issued-before", a.issued_before, "RFC 3339 time");
    certs->add_option("--issued-after", a.issued_after, "RFC 3339 time");
    certs->add_flag("--include-pem", a.include_pem, "add each certificate's PEM (with --json)");
    add_paging(*certs, a);

    CLI::App* audit = verb("audit", "audit rows", AdminVerb::audit);
    audit->add_option("--action-prefix", a.action_prefix, "e.g. est_simple_enroll");
    audit->add_option("--profile", a.profile, "EST profile");
    audit->add_option("--actor", a.actor, "API key name");
    audit->add_option("--serial", a.serials, "certificate serial")->expected(1);
    audit->add_option("--since", a.since, "RFC 3339 time");
    audit->add_option("--until", a.until, "RFC 3339 time");
    add_paging(*audit, a);
}

int run_admin_verb(AdminVerb verb, const EstOptions& o, const AdminOptions& a) {
    auto api = make_operator(o);
    if (!api) {
        return report_failure(api.error());
    }
    switch (verb) {
        case AdminVerb::profiles:
            return run_profiles(*api, a);
        case AdminVerb::reload_trust:
            return run_reload_trust(*api, a);
        case AdminVerb::bulk_revoke:
            return run_bulk_revoke(*api, a);
        case AdminVerb::certs:
            return run_certs(*api, a);
        case AdminVerb::audit:
            return run_audit(*api, a);
    }
    return kExitUsage;
}

}  // namespace estd::cli
