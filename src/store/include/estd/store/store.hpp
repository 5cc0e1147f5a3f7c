#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estd/audit/audit_event.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::store {

using TimePoint = std::chrono::system_clock::time_point;

// Every listing is bounded: a caller asking for more gets kMaxPageSize.
inline constexpr std::size_t kDefaultPageSize = 50;
inline constexpr std::size_t kMaxPageSize = 500;

// A serial as the store keys it: lower-case hex, byte-aligned, without
// separators or extra leading zeros ("0A:1B" and "a1b" both give "0a1b").
std::string normalize_serial(std::string_view text);

struct Revocation {
    int reason = 0;  // RFC 5280 CRLReason code
    TimePoint revoked_at;
    std::string actor;  // API key name of who revoked it
};

// One issued certificate, recorded before the client receives it.
struct CertificateRecord {
    std::int64_t id = 0;  // assigned by the store; the pagination cursor
    std::string issuer_id;
    std::string serial;       // lower-case hex, as pki::serial_hex
    std::string fingerprint;  // SHA-256 of the DER, lower-case hex
    std::string source = "EST";
    std::string est_profile;  // EST PathID ("" for the legacy root)
    std::string profile_id;   // certificate profile id, may be empty
    std::string subject;      // RFC 2253
    std::string common_name;
    std::vector<std::string> subject_alt_names;  // "DNS:x", "IP:1.2.3.4", ...
    TimePoint not_before;
    TimePoint not_after;
    std::string public_key_sha256;  // SHA-256 of the SubjectPublicKeyInfo DER, hex
    std::string auth_mode;          // anonymous | basic | mtls
    std::string source_ip;
    std::string request_id;
    TimePoint issued_at;
    pki::Bytes der;  // empty in listings unless asked for
    std::optional<Revocation> revocation;
};

enum class CertificateState { any, active, revoked };

// Criteria shared by listing and bulk revocation. Empty strings and unset
// times do not filter.
struct CertificateCriteria {
    std::string issuer_id;
    std::string profile_id;
    std::string est_profile;
    std::string source;
    std::string common_name;
    std::vector<std::string> serials;
    std::optional<TimePoint> issued_before;
    std::optional<TimePoint> issued_after;
    CertificateState state = CertificateState::any;

    bool empty() const {
        return issuer_id.empty() && profile_id.empty() && est_profile.empty() &&
               common_name.empty() && serials.empty() && !issued_before && !issued_after;
    }
};

struct CertificateQuery {
    CertificateCriteria criteria;
    std::size_t limit = kDefaultPageSize;
    std::int64_t before_id = 0;  // 0: from the newest; else only ids below it
    bool include_der = false;
};

struct CertificatePage {
    std::vector<CertificateRecord> items;  // newest first
    std::optional<std::int64_t> next_cursor;
};

struct RevocationRequest {
    CertificateCriteria criteria;
    int reason = 0;
    std::string actor;
    TimePoint revoked_at;
};

struct RevokedCertificate {
    std::string issuer_id;
    std::string serial;
};

// What a CRL lists for one revoked certificate.
struct CrlEntry {
    std::string serial;
    TimePoint revoked_at;
    int reason = 0;
};

struct AuditRecord {
    std::int64_t id = 0;
    TimePoint time;
    audit::AuditEvent event;
};

struct AuditQuery {
    // A row matches when its action or operation_action starts with any of
    // these (none: every row).
    std::vector<std::string> action_prefixes;
    std::string profile;
    std::string actor;
    std::string serial;
    std::optional<TimePoint> since;
    std::optional<TimePoint> until;
    std::size_t limit = kDefaultPageSize;
    std::int64_t before_id = 0;
};

struct AuditPage {
    std::vector<AuditRecord> items;  // newest first
    std::optional<std::int64_t> next_cursor;
};

// One step of a count kept in a database: the events from `start` to the
// next step's start.
struct CountedStep {
    TimePoint start;
    std::uint64_t count = 0;
};

// What a count shared between estd counts, per EST profile and key.
enum class CountedEvent {
    failed_basic,          // failed Basic attempts; key: the source address
    principal_enrollment,  // admitted enrollments; key: auth::principal_key (CN, address)
};

// Counts kept in a database that several estd share, so a limit reached on
// one holds on all (docs/security.md, "The failed-Basic limiter" and
// "Per-principal rate limit"). Counted in steps: a key has at most one row
// per step of the window, and rows older than the window are deleted.
class SharedCounts {
  public:
    virtual ~SharedCounts() = default;
    // The `event`s of `key` on EST profile `profile` in steps that started
    // after `since`, oldest first.
    virtual Result<std::vector<CountedStep>> counted(CountedEvent event, const std::string& profile,
                                                     const std::string& key, TimePoint since) = 0;
    // Counts one `event` in the step that starts at `step`; rows of steps
    // that started before `expired` may be deleted on the way.
    virtual Status count(CountedEvent event, const std::string& profile, const std::string& key,
                         TimePoint step, TimePoint expired) = 0;
};

// Audit rows older than `retention` are deleted (unset: kept). The store
// does it in passes of at most `prune_batch` rows, one when it opens and one
// after every `prune_every` appended rows, so the table stops growing
// without a long pause in the writes; and one after the first row appended
// once `prune_interval` has passed since the last pass, so a server with
// little traffic does not keep expired rows for long.
struct AuditRetention {
    std::optional<std::chrono::seconds> retention;
    std::size_t prune_every = 1024;
    std::size_t prune_batch = 2048;
    std::chrono::seconds prune_interval{3600};
};

// The inventory behind estd: issued certificates, revocations, audit rows,
// CRL numbers and delivered notifications. All persistence goes through this
// interface so a server database can replace the embedded one.
//
// Thread-safe. Calls that return after a write return once it is durable,
// except append_audit, which queues (the JSON-lines audit file is the
// synchronous record; flush() waits for the queue).
class Store {
  public:
    virtual ~Store() = default;

    virtual Status add_certificate(const CertificateRecord& record) = 0;
    virtual Result<std::optional<CertificateRecord>> find_by_fingerprint(
        const std::string& fingerprint) = 0;
    virtual Result<std::optional<CertificateRecord>> find_certificate(
        const std::string& issuer_id, const std::string& serial) = 0;
    virtual Result<CertificatePage> list_certificates(const CertificateQuery& query) = 0;

    // Revokes every certificate matching the criteria that is not revoked
    // yet; returns those it revoked.
    virtual Result<std::vector<RevokedCertificate>> revoke(const RevocationRequest& request) = 0;
    // Revoked certificates of one issuer that have not expired at `now`.
    virtual Result<std::vector<CrlEntry>> crl_entries(const std::string& issuer_id,
                                                      TimePoint now) = 0;
    // How many of an issuer's certificates were ever revoked. It only grows
    // (revocations are final, rows are kept), so a CRL built when it read n
    // is current for as long as it still reads n: how an estd sharing the
    // database notices another one's revocations.
    virtual Result<std::uint64_t> revoked_count(const std::string& issuer_id) = 0;
    // The next CRL number of an issuer: 1, 2, ... never repeating, also
    // across restarts.
    virtual Result<std::uint64_t> next_crl_number(const std::string& issuer_id) = 0;

    virtual Status append_audit(const audit::AuditEvent& event, TimePoint time) = 0;
    virtual Result<AuditPage> list_audit(const AuditQuery& query) = 0;

    // Unrevoked certificates with now < NotAfter <= now + threshold for which
    // no notification for `threshold_days` was delivered yet, oldest NotAfter
    // first, at most `limit`.
    virtual Result<std::vector<CertificateRecord>> pending_expiry_notices(int threshold_days,
                                                                          TimePoint now,
                                                                          std::size_t limit) = 0;
    virtual Status mark_expiry_notice_delivered(const std::string& issuer_id,
                                                const std::string& serial, int threshold_days,
                                                TimePoint delivered_at) = 0;

    // Counts shared with other estd on the same database; null for a store
    // only this process uses.
    virtual SharedCounts* shared_counts() { return nullptr; }

    // Ok when the store can answer now: always for the embedded one; for a
    // server database, one round trip (/readyz).
    virtual Status reachable() = 0;

    // Waits until every queued write is durable.
    virtual Status flush() = 0;
};

}  // namespace estd::store
