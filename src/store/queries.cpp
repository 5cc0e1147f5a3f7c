#include "queries.hpp"

#include <initializer_list>

#include <nlohmann/json.hpp>

namespace estd::store::queries {
namespace {

// Column 20 is the DER, or NULL where a listing does not carry it.
std::string certificate_columns(bool with_der) {
    return std::string(
               "id, issuer_id, serial, fingerprint, source, est_profile, profile_id, subject, "
               "common_name, subject_alt_names, not_before, not_after, public_key_sha256, "
               "auth_mode, source_ip, request_id, issued_at, revocation_reason, revoked_at, "
               "revoked_by, ") +
           (with_der ? "der" : "NULL");
}

void equals(SqlQuery& query, const char* column, const std::string& value) {
    if (!value.empty()) {
        query.add(" AND ").add(column).add(" = ").bind(value);
    }
}

// Appends " AND ..." for every set criterion.
void add_criteria(SqlQuery& query, const CertificateCriteria& c, TimePoint now) {
    equals(query, "issuer_id", c.issuer_id);
    equals(query, "profile_id", c.profile_id);
    equals(query, "est_profile", c.est_profile);
    equals(query, "source", c.source);
    equals(query, "common_name", c.common_name);
    if (!c.serials.empty()) {
        // One parameter whatever the number of serials.
        nlohmann::json list = nlohmann::json::array();
        for (const auto& serial : c.serials) {
            list.push_back(normalize_serial(serial));
        }
        query.add(query.dialect() == Dialect::sqlite
                      ? " AND serial IN (SELECT value FROM json_each("
                      : " AND serial IN (SELECT jsonb_array_elements_text(CAST(");
        query.bind(list.dump());
        query.add(query.dialect() == Dialect::sqlite ? "))" : " AS jsonb)))");
    }
    if (c.issued_before) {
        query.add(" AND issued_at < ").bind(unix_seconds(*c.issued_before));
    }
    if (c.issued_after) {
        query.add(" AND issued_at > ").bind(unix_seconds(*c.issued_after));
    }
    if (c.state == CertificateState::active) {
        query.add(" AND revoked_at IS NULL AND not_after > ").bind(unix_seconds(now));
    } else if (c.state == CertificateState::revoked) {
        query.add(" AND revoked_at IS NOT NULL");
    }
}

// Appends "(p1, p2, ...)".
void bind_values(SqlQuery& query, std::initializer_list<SqlValue> values) {
    const char* separator = "(";
    for (const auto& value : values) {
        query.add(separator).bind(value);
        separator = ", ";
    }
    query.add(")");
}

void page_after(SqlQuery& query, std::int64_t before_id, std::size_t limit) {
    if (before_id > 0) {
        query.add(" AND id < ").bind(before_id);
    }
    query.add(" ORDER BY id DESC LIMIT ").bind(static_cast<std::int64_t>(bounded(limit) + 1));
}

}  // namespace

std::vector<std::string> parse_subject_alt_names(const std::string& json) {
    std::vector<std::string> names;
    const auto sans = nlohmann::json::parse(json, nullptr, false);
    if (sans.is_array()) {
        for (const auto& san : sans) {
            if (san.is_string()) {
                names.push_back(san.get<std::string>());
            }
        }
    }
    return names;
}

SqlQuery insert_certificate(Dialect dialect, const CertificateRecord& r) {
    const nlohmann::json sans = r.subject_alt_names;
    SqlQuery query(dialect,
                   "INSERT INTO certificates (issuer_id, serial, fingerprint, source, "
                   "est_profile, profile_id, subject, common_name, subject_alt_names, not_before, "
                   "not_after, public_key_sha256, auth_mode, source_ip, request_id, issued_at, "
                   "der) VALUES ");
    bind_values(query, {
                           r.issuer_id,
                           normalize_serial(r.serial),
                           r.fingerprint,
                           r.source,
                           r.est_profile,
                           r.profile_id,
                           r.subject,
                           r.common_name,
                           sans.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                           unix_seconds(r.not_before),
                           unix_seconds(r.not_after),
                           r.public_key_sha256,
                           r.auth_mode,
                           r.source_ip,
                           r.request_id,
                           unix_seconds(r.issued_at),
                           r.der,
                       });
    // The same certificate again is already recorded (its fingerprint is
    // its own hash): a batch retried on a new connection after the server
    // had committed it, but the answer was lost with the old one. Another
    // certificate with the same issuer and serial is still refused.
    query.add(" ON CONFLICT (fingerprint) DO NOTHING");
    return query;
}

SqlQuery find_certificate_by_fingerprint(Dialect dialect, const std::string& fingerprint) {
    SqlQuery query(
        dialect, "SELECT " + certificate_columns(true) + " FROM certificates WHERE fingerprint = ");
    query.bind(fingerprint);
    return query;
}

SqlQuery find_certificate(Dialect dialect, const std::string& issuer_id,
                          const std::string& serial) {
    SqlQuery query(dialect,
                   "SELECT " + certificate_columns(true) + " FROM certificates WHERE issuer_id = ");
    query.bind(issuer_id).add(" AND serial = ").bind(normalize_serial(serial));
    return query;
}

SqlQuery list_certificates(Dialect dialect, const CertificateQuery& q, TimePoint now) {
    SqlQuery query(
        dialect, "SELECT " + certificate_columns(q.include_der) + " FROM certificates WHERE TRUE");
    add_criteria(query, q.criteria, now);
    page_after(query, q.before_id, q.limit);
    return query;
}

SqlQuery revoke(Dialect dialect, const RevocationRequest& request) {
    SqlQuery query(dialect, "UPDATE certificates SET revocation_reason = ");
    query.bind(static_cast<std::int64_t>(request.reason))
        .add(", revoked_at = ")
        .bind(unix_seconds(request.revoked_at))
        .add(", revoked_by = ")
        .bind(request.actor)
        .add(" WHERE revoked_at IS NULL");
    CertificateCriteria criteria = request.criteria;
    criteria.state = CertificateState::any;
    add_criteria(query, criteria, request.revoked_at);
    query.add(" RETURNING issuer_id, serial");
    return query;
}

SqlQuery crl_entries(Dialect dialect, const std::string& issuer_id, TimePoint now) {
    SqlQuery query(dialect,
                   "SELECT serial, revoked_at, revocation_reason FROM certificates WHERE "
                   "issuer_id = ");
    query.bind(issuer_id)
        .add(" AND revoked_at IS NOT NULL AND not_after > ")
        .bind(unix_seconds(now))
        .add(" ORDER BY id");
    return query;
}

SqlQuery revoked_count(Dialect dialect, const std::string& issuer_id) {
    SqlQuery query(dialect, "SELECT count(*) FROM certificates WHERE issuer_id = ");
    query.bind(issuer_id).add(" AND revoked_at IS NOT NULL");
    return query;
}

SqlQuery next_crl_number(Dialect dialect, const std::string& issuer_id) {
    SqlQuery query(dialect, "INSERT INTO crl_numbers (issuer_id, last_number) VALUES (");
    query.bind(issuer_id).add(
        ", 1) ON CONFLICT (issuer_id) DO UPDATE SET last_number = crl_numbers.last_number + 1 "
        "RETURNING last_number");
    return query;
}

SqlQuery insert_audit(Dialect dialect, const audit::AuditEvent& e, TimePoint time) {
    SqlQuery query(dialect,
                   "INSERT INTO audit_events (time_ms, action, operation_action, profile, "
                   "source_ip, subject, serial, issuer_id, request_id, actor, reason, status) "
                   "VALUES ");
    bind_values(query, {unix_millis(time), e.action, e.operation_action, e.profile, e.source_ip,
                        e.subject, e.serial, e.issuer_id, e.request_id, e.actor, e.reason,
                        static_cast<std::int64_t>(e.status)});
    return query;
}

SqlQuery list_audit(Dialect dialect, const AuditQuery& q) {
    SqlQuery query(dialect,
                   "SELECT id, time_ms, action, operation_action, profile, source_ip, subject, "
                   "serial, issuer_id, request_id, actor, reason, status FROM audit_events "
                   "WHERE TRUE");
    if (!q.action_prefixes.empty()) {
        // substr, not LIKE: exact and case-sensitive, no escaping of '_'.
        const char* glue = " AND (";
        for (const auto& prefix : q.action_prefixes) {
            const auto n = static_cast<std::int64_t>(prefix.size());
            query.add(glue).add("substr(action, 1, ").bind(n).add(") = ").bind(prefix);
            query.add(" OR substr(operation_action, 1, ").bind(n).add(") = ").bind(prefix);
            glue = " OR ";
        }
        query.add(")");
    }
    equals(query, "profile", q.profile);
    equals(query, "actor", q.actor);
    equals(query, "serial", q.serial.empty() ? q.serial : normalize_serial(q.serial));
    if (q.since) {
        query.add(" AND time_ms >= ").bind(unix_millis(*q.since));
    }
    if (q.until) {
        query.add(" AND time_ms < ").bind(unix_millis(*q.until));
    }
    page_after(query, q.before_id, q.limit);
    return query;
}

SqlQuery prune_audit(Dialect dialect, TimePoint cutoff, std::size_t batch) {
    SqlQuery query(dialect,
                   "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE id < "
                   "COALESCE((SELECT id FROM audit_events WHERE time_ms >= ");
    query.bind(unix_millis(cutoff))
        .add(" ORDER BY id LIMIT 1), (SELECT MAX(id) + 1 FROM audit_events)) ORDER BY id LIMIT ")
        .bind(static_cast<std::int64_t>(batch))
        .add(")");
    return query;
}

SqlQuery pending_expiry_notices(Dialect dialect, int threshold_days, TimePoint now,
                                std::size_t limit) {
    const auto horizon = now + std::chrono::hours(24) * threshold_days;
    SqlQuery query(dialect, "SELECT " + certificate_columns(false) +
                                " FROM certificates c WHERE revoked_at IS NULL AND not_after > ");
    query.bind(unix_seconds(now))
        .add(" AND not_after <= ")
        .bind(unix_seconds(horizon))
        .add(
            " AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.issuer_id = c.issuer_id "
            "AND n.serial = c.serial AND n.threshold_days = ")
        .bind(static_cast<std::int64_t>(threshold_days))
        .add(") ORDER BY not_after LIMIT ")
        .bind(static_cast<std::int64_t>(bounded(limit)));
    return query;
}

SqlQuery mark_expiry_notice_delivered(Dialect dialect, const std::string& issuer_id,
                                      const std::string& serial, int threshold_days,
                                      TimePoint delivered_at) {
    SqlQuery query(dialect,
                   "INSERT INTO expiry_notices (issuer_id, serial, threshold_days, delivered_at) "
                   "VALUES ");
    bind_values(query, {issuer_id, normalize_serial(serial),
                        static_cast<std::int64_t>(threshold_days), unix_seconds(delivered_at)});
    query.add(" ON CONFLICT DO NOTHING");
    return query;
}

}  // namespace estd::store::queries
