#pragma once

// Private to src/store: every statement of the inventory, built for either
// database, and the row readers both share. A row is anything with
// text(i), integer(i), blob(i) and is_null(i).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "estd/store/store.hpp"
#include "sql_query.hpp"

namespace estd::store::queries {

inline std::int64_t unix_seconds(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}
inline std::int64_t unix_millis(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

inline std::size_t bounded(std::size_t limit) {
    return std::clamp<std::size_t>(limit, 1, kMaxPageSize);
}

SqlQuery insert_certificate(Dialect dialect, const CertificateRecord& record);
SqlQuery find_certificate_by_fingerprint(Dialect dialect, const std::string& fingerprint);
SqlQuery find_certificate(Dialect dialect, const std::string& issuer_id, const std::string& serial);
// Asks for one row more than the page holds: see finish_page.
SqlQuery list_certificates(Dialect dialect, const CertificateQuery& query, TimePoint now);
// RETURNING issuer_id, serial of each certificate it revoked.
SqlQuery revoke(Dialect dialect, const RevocationRequest& request);
SqlQuery crl_entries(Dialect dialect, const std::string& issuer_id, TimePoint now);
SqlQuery revoked_count(Dialect dialect, const std::string& issuer_id);
// RETURNING the number.
SqlQuery next_crl_number(Dialect dialect, const std::string& issuer_id);
SqlQuery insert_audit(Dialect dialect, const audit::AuditEvent& event, TimePoint time);
SqlQuery list_audit(Dialect dialect, const AuditQuery& query);
// Deletes up to `batch` of the oldest rows appended before `cutoff`. Rows are
// taken in id (append) order up to the first one still within it, so the
// pass reads only what it deletes, and a row is never deleted before an
// older-appended one.
SqlQuery prune_audit(Dialect dialect, TimePoint cutoff, std::size_t batch);
SqlQuery pending_expiry_notices(Dialect dialect, int threshold_days, TimePoint now,
                                std::size_t limit);
SqlQuery mark_expiry_notice_delivered(Dialect dialect, const std::string& issuer_id,
                                      const std::string& serial, int threshold_days,
                                      TimePoint delivered_at);

std::vector<std::string> parse_subject_alt_names(const std::string& json);

// Rows of list_certificates, find_*, pending_expiry_notices.
template <class Row>
CertificateRecord read_certificate(const Row& row) {
    CertificateRecord record;
    record.id = row.integer(0);
    record.issuer_id = row.text(1);
    record.serial = row.text(2);
    record.fingerprint = row.text(3);
    record.source = row.text(4);
    record.est_profile = row.text(5);
    record.profile_id = row.text(6);
    record.subject = row.text(7);
    record.common_name = row.text(8);
    record.subject_alt_names = parse_subject_alt_names(row.text(9));
    record.not_before = TimePoint(std::chrono::seconds(row.integer(10)));
    record.not_after = TimePoint(std::chrono::seconds(row.integer(11)));
    record.public_key_sha256 = row.text(12);
    record.auth_mode = row.text(13);
    record.source_ip = row.text(14);
    record.request_id = row.text(15);
    record.issued_at = TimePoint(std::chrono::seconds(row.integer(16)));
    if (!row.is_null(18)) {
        record.revocation =
            Revocation{static_cast<int>(row.integer(17)),
                       TimePoint(std::chrono::seconds(row.integer(18))), row.text(19)};
    }
    if (!row.is_null(20)) {
        record.der = row.blob(20);
    }
    return record;
}

template <class Row>
RevokedCertificate read_revoked(const Row& row) {
    return {row.text(0), row.text(1)};
}

template <class Row>
CrlEntry read_crl_entry(const Row& row) {
    return {row.text(0), TimePoint(std::chrono::seconds(row.integer(1))),
            static_cast<int>(row.integer(2))};
}

template <class Row>
AuditRecord read_audit(const Row& row) {
    AuditRecord record;
    record.id = row.integer(0);
    record.time = TimePoint(std::chrono::milliseconds(row.integer(1)));
    auto& e = record.event;
    e.action = row.text(2);
    e.operation_action = row.text(3);
    e.profile = row.text(4);
    e.source_ip = row.text(5);
    e.subject = row.text(6);
    e.serial = row.text(7);
    e.issuer_id = row.text(8);
    e.request_id = row.text(9);
    e.actor = row.text(10);
    e.reason = row.text(11);
    e.status = static_cast<int>(row.integer(12));
    return record;
}

// A listing read limit + 1 rows: the extra one only says there is more.
template <class Page>
void finish_page(Page& page, std::size_t limit) {
    if (page.items.size() > bounded(limit)) {
        page.items.pop_back();
        page.next_cursor = page.items.back().id;
    }
}

}  // namespace estd::store::queries
