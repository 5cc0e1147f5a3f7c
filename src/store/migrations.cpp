// Versioned schema migrations. The version lives in PRAGMA user_version;
// migration N takes the schema from version N-1 to N inside one
// transaction. Never edit a released migration: append a new one.

#include "migrations.hpp"

#include <algorithm>
#include <array>

#include "estd/store/sqlite_store.hpp"

namespace estd::store {
namespace {

constexpr std::array<const char*, 2> kMigrations = {
    // 1: certificates (with their revocation), audit events, CRL numbers,
    // delivered expiry notices. Times are Unix seconds (audit: milliseconds).
    R"sql(
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issuer_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    est_profile TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    common_name TEXT NOT NULL,
    subject_alt_names TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    public_key_sha256 TEXT NOT NULL,
    auth_mode TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    der BLOB NOT NULL,
    revocation_reason INTEGER,
    revoked_at INTEGER,
    revoked_by TEXT,
    UNIQUE (issuer_id, serial)
);
CREATE INDEX certificates_profile_id ON certificates (profile_id);
CREATE INDEX certificates_common_name ON certificates (common_name);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_revoked ON certificates (issuer_id, revoked_at)
    WHERE revoked_at IS NOT NULL;

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    operation_action TEXT NOT NULL,
    profile TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    subject TEXT NOT NULL,
    serial TEXT NOT NULL,
    issuer_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE INDEX audit_events_action ON audit_events (action);
CREATE INDEX audit_events_operation_action ON audit_events (operation_action);

CREATE TABLE crl_numbers (
    issuer_id TEXT PRIMARY KEY,
    last_number INTEGER NOT NULL
);

CREATE TABLE expiry_notices (
    issuer_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    threshold_days INTEGER NOT NULL,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (issuer_id, serial, threshold_days)
);
)sql",
    // 2: no index on audit_events' actions. No query can use one (the audit
    // listing matches action prefixes with substr and pages by id, pruning
    // goes by id), and they cost every audited request two index inserts
    // and its commit two pages.
    R"sql(
DROP INDEX audit_events_action;
DROP INDEX audit_events_operation_action;
)sql",
};

Result<int> user_version(sqlite3* db) {
    auto stmt = sqlite::Statement::prepare(db, "PRAGMA user_version");
    if (!stmt) {
        return std::move(stmt).take_error();
    }
    auto row = stmt->step();
    if (!row) {
        return std::move(row).take_error();
    }
    return static_cast<int>(stmt->integer(0));
}

}  // namespace

int sqlite_schema_version() {
    return static_cast<int>(kMigrations.size());
}

Status migrate(sqlite3* db, int target_version) {
    auto version = user_version(db);
    if (!version) {
        return std::move(version).take_error();
    }
    if (*version > sqlite_schema_version()) {
        return Error::internal("store: the database has schema version " +
                               std::to_string(*version) + " but this estd knows only up to " +
                               std::to_string(sqlite_schema_version()) +
                               ": it was written by a newer estd");
    }
    for (int next = *version + 1; next <= std::min(target_version, sqlite_schema_version());
         ++next) {
        if (auto begun = sqlite::exec(db, "BEGIN IMMEDIATE"); !begun) {
            return begun;
        }
        auto applied = sqlite::exec(db, kMigrations[static_cast<std::size_t>(next - 1)]);
        if (applied) {
            const std::string bump = "PRAGMA user_version = " + std::to_string(next);
            applied = sqlite::exec(db, bump.c_str());
        }
        if (applied) {
            applied = sqlite::exec(db, "COMMIT");
        }
        if (!applied) {
            (void)sqlite::exec(db, "ROLLBACK");
            Error error = std::move(applied).take_error();
            error.message = "store: migration to schema version " + std::to_string(next) +
                            " failed: " + error.message;
            return error;
        }
    }
    return Ok{};
}

}  // namespace estd::store
