// The server store: PostgreSQL through libpq. Every durable write is
// acknowledged once the server has flushed it (synchronous_commit = on).
// An enrollment's row is queued and committed with the rows queued beside
// it by a thread of its own, which then calls back: no thread waits for the
// database while a certificate's row is written. Audit rows are queued too,
// as in the embedded store, for a thread that writes them on a session
// that commits asynchronously.
// Several estd can share one database: CRL numbers come from one upsert,
// revocations from one UPDATE, so replicas never hand out a number twice
// or revoke a certificate twice.

#include "estd/store/postgres_store.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "postgres.hpp"
#include "sql_store.hpp"

namespace estd::store {
namespace {

constexpr Dialect kDialect = Dialect::postgres;

// Never edit a released migration: append a new one. The statements mirror
// the embedded store's schema (src/store/migrations.cpp).
constexpr std::array<const char*, 3> kMigrations = {
    R"sql(
CREATE TABLE certificates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    est_profile TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    common_name TEXT NOT NULL,
    subject_alt_names TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    public_key_sha256 TEXT NOT NULL,
    auth_mode TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    der BYTEA NOT NULL,
    revocation_reason INTEGER,
    revoked_at BIGINT,
    revoked_by TEXT,
    UNIQUE (issuer_id, serial)
);
CREATE INDEX certificates_profile_id ON certificates (profile_id);
CREATE INDEX certificates_common_name ON certificates (common_name);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_revoked ON certificates (issuer_id, revoked_at)
    WHERE revoked_at IS NOT NULL;

CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time_ms BIGINT NOT NULL,
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
    last_number BIGINT NOT NULL
);

CREATE TABLE expiry_notices (
    issuer_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    threshold_days INTEGER NOT NULL,
    delivered_at BIGINT NOT NULL,
    PRIMARY KEY (issuer_id, serial, threshold_days)
);
)sql",
    // 2: failed Basic attempts per (EST profile, source), one row per step,
    // shared by every estd on the database.
    R"sql(
CREATE TABLE basic_failures (
    profile TEXT NOT NULL,
    source TEXT NOT NULL,
    step_start BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    PRIMARY KEY (profile, source, step_start)
);
CREATE INDEX basic_failures_step_start ON basic_failures (step_start);
)sql",
    // 3: admitted enrollments per (EST profile, principal), the
    // per-principal rate limit shared the same way. A principal key holds a
    // NUL between CN and address, so it is kept as bytes.
    R"sql(
CREATE TABLE principal_enrollments (
    profile TEXT NOT NULL,
    principal BYTEA NOT NULL,
    step_start BIGINT NOT NULL,
    enrollments BIGINT NOT NULL,
    PRIMARY KEY (profile, principal, step_start)
);
CREATE INDEX principal_enrollments_step_start ON principal_enrollments (step_start);
)sql",
};

// Taken for the migration's transaction: "estd" in ASCII, then 1.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(435761734657)";

Result<int> schema_version(PGconn* conn) {
    auto result = pg::execute(conn, SqlQuery(kDialect, "SELECT version FROM estd_schema"));
    if (!result) {
        return std::move(result).take_error();
    }
    return PQntuples(result->get()) == 1 ? static_cast<int>(pg::Row(result->get(), 0).integer(0))
                                         : 0;
}

Status migrate_locked(PGconn* conn) {
    if (auto created = pg::execute(conn,
                                   "CREATE TABLE IF NOT EXISTS estd_schema (version INTEGER NOT "
                                   "NULL); INSERT INTO estd_schema SELECT 0 WHERE NOT EXISTS "
                                   "(SELECT 1 FROM estd_schema)");
        !created) {
        return created;
    }
    auto version = schema_version(conn);
    if (!version) {
        return std::move(version).take_error();
    }
    if (*version > postgres_schema_version()) {
        return Error::internal("store: the database has schema version " +
                               std::to_string(*version) + " but this estd knows only up to " +
                               std::to_string(postgres_schema_version()) +
                               ": it was written by a newer estd");
    }
    for (int next = *version + 1; next <= postgres_schema_version(); ++next) {
        auto applied = pg::execute(conn, kMigrations[static_cast<std::size_t>(next - 1)]);
        if (applied) {
            applied = pg::execute(conn, "UPDATE estd_schema SET version = " + std::to_string(next));
        }
        if (!applied) {
            Error error = std::move(applied).take_error();
            error.message = "store: migration to schema version " + std::to_string(next) +
                            " failed: " + error.message;
            return error;
        }
    }
    return Ok{};
}

// One transaction under an advisory lock: replicas starting together take
// turns, and the second finds the schema current.
Status migrate(PGconn* conn) {
    if (auto begun = pg::execute(conn, std::string("BEGIN; ") + kMigrationLock); !begun) {
        return begun;
    }
    auto migrated = migrate_locked(conn);
    if (migrated) {
        migrated = pg::execute(conn, "COMMIT");
    }
    if (!migrated) {
        (void)pg::execute(conn, "ROLLBACK");
    }
    return migrated;
}

std::string session_sql(const PostgresOptions& options, bool durable) {
    return "SET statement_timeout = " + std::to_string(options.statement_timeout.count()) +
           "; SET synchronous_commit = " + (durable ? "on" : "off");
}

// Where each CountedEvent is kept: a table of (profile, key, step_start,
// count) rows.
struct CountTable {
    const char* table;
    const char* key;
    const char* count;
    bool key_is_bytes;

    SqlValue key_value(const std::string& key_text) const {
        return key_is_bytes ? SqlValue(pki::Bytes(key_text.begin(), key_text.end()))
                            : SqlValue(key_text);
    }
};

constexpr CountTable count_table(CountedEvent event) {
    return event == CountedEvent::failed_basic
               ? CountTable{"basic_failures", "source", "failures", false}
               : CountTable{"principal_enrollments", "principal", "enrollments", true};
}

SqlQuery counted_steps(CountTable t, const std::string& profile, const std::string& key,
                       TimePoint since) {
    SqlQuery query(kDialect, std::string("SELECT step_start, ") + t.count + " FROM " + t.table +
                                 " WHERE profile = ");
    query.bind(profile)
        .add(std::string(" AND ") + t.key + " = ")
        .bind(t.key_value(key))
        .add(" AND step_start > ")
        .bind(queries::unix_seconds(since))
        .add(" ORDER BY step_start");
    return query;
}

SqlQuery count_one(CountTable t, const std::string& profile, const std::string& key,
                   TimePoint step) {
    SqlQuery query(kDialect, std::string("INSERT INTO ") + t.table + " (profile, " + t.key +
                                 ", step_start, " + t.count + ") VALUES (");
    query.bind(profile)
        .add(", ")
        .bind(t.key_value(key))
        .add(", ")
        .bind(queries::unix_seconds(step))
        .add(std::string(", 1) ON CONFLICT (profile, ") + t.key + ", step_start) DO UPDATE SET " +
             t.count + " = " + t.table + "." + t.count + " + 1");
    return query;
}

SqlQuery delete_steps_before(CountTable t, TimePoint expired) {
    SqlQuery query(kDialect, std::string("DELETE FROM ") + t.table + " WHERE step_start < ");
    query.bind(queries::unix_seconds(expired));
    return query;
}

class PostgresStore final : public SqlStore<PostgresStore, kDialect>, public SharedCounts {
  public:
    PostgresStore(const std::string& url, const PostgresOptions& options)
        : SqlStore(options.audit),
          durable_(pg::ConnectSettings{url, options.connect_timeout, session_sql(options, true)},
                   options.connections, options.acquire_timeout),
          audit_(pg::ConnectSettings{url, options.connect_timeout, session_sql(options, false)}, 1,
                 options.acquire_timeout),
          inventory_queue_(durable_, options.max_queued_certificates),
          audit_queue_(audit_, options.max_queued_audit_rows, options.post_window) {
        prune_audit_at_open();
    }

    SharedCounts* shared_counts() override { return this; }

    Result<std::vector<CountedStep>> counted(CountedEvent event, const std::string& profile,
                                             const std::string& key, TimePoint since) override {
        std::vector<CountedStep> steps;
        auto status = durable_.run(
            counted_steps(count_table(event), profile, key, since), [&](const pg::Row& row) {
                steps.push_back({TimePoint(std::chrono::seconds(row.integer(0))),
                                 static_cast<std::uint64_t>(row.integer(1))});
            });
        if (!status) {
            return std::move(status).take_error();
        }
        return steps;
    }

    // Expired rows go in one DELETE after every kCountsPerPrune counted
    // events of a kind: a table holds at most a window of counts, whatever
    // the number of keys.
    Status count(CountedEvent event, const std::string& profile, const std::string& key,
                 TimePoint step, TimePoint expired) override {
        const CountTable table = count_table(event);
        auto added = durable_.run(count_one(table, profile, key, step), ignore_rows);
        if (added && ++counted_[static_cast<std::size_t>(event)] % kCountsPerPrune == 0) {
            if (auto pruned = durable_.run(delete_steps_before(table, expired), ignore_rows);
                !pruned) {
                spdlog::warn("store: expired rows of {} not deleted: {}", table.table,
                             pruned.error().message);
            }
        }
        return added;
    }

    Status reachable() override {
        return durable_.run(SqlQuery(kDialect, "SELECT 1"), ignore_rows);
    }

    bool commits_without_waiting() const override { return true; }

    // The audit rows are then on the server, which flushes asynchronous
    // commits within a few hundred milliseconds (wal_writer_delay).
    Status flush() override {
        inventory_queue_.flush();
        audit_queue_.flush();
        return Ok{};
    }

  private:
    friend class SqlStore<PostgresStore, kDialect>;
    static constexpr std::size_t kCountsPerPrune = 256;

    template <class OnRow>
    Status read(const SqlQuery& query, OnRow&& on_row) {
        return durable_.run(query, on_row);
    }
    // Autocommit with synchronous_commit = on: durable once it returns.
    template <class OnRow>
    Status write(const SqlQuery& query, OnRow&& on_row) {
        return durable_.run(query, on_row);
    }
    void write_then(SqlQuery query, CertificateInventory::Committed committed) {
        inventory_queue_.submit(std::move(query), std::move(committed));
    }

    Status append(SqlQuery query) { return audit_queue_.post(std::move(query)); }
    // Queued behind the rows: one DELETE of at most prune_batch rows.
    void prune(SqlQuery pass) {
        if (auto posted = audit_queue_.post(std::move(pass)); !posted) {
            spdlog::warn("store: expired audit rows not deleted now: {}", posted.error().message);
        }
    }

    pg::Pool durable_;
    pg::Pool audit_;
    pg::StatementQueue inventory_queue_;  // after durable_: stops (drained) before it
    pg::StatementQueue audit_queue_;      // after audit_: stops (drained) before it
    std::array<std::atomic<std::size_t>, 2> counted_{};  // per CountedEvent
};

}  // namespace

int postgres_schema_version() {
    return static_cast<int>(kMigrations.size());
}

std::optional<std::string> describe_postgres_url(const std::string& url) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
        PQconninfoParse(url.c_str(), &error), &PQconninfoFree);
    if (error != nullptr) {
        PQfreemem(error);  // may quote the value, password included
    }
    if (!options) {
        return std::nullopt;
    }
    std::string user, host, port, dbname;
    for (auto* option = options.get(); option->keyword != nullptr; ++option) {
        const std::string value = option->val != nullptr ? option->val : "";
        const std::string keyword = option->keyword;
        if (keyword == "user") {
            user = value;
        } else if (keyword == "host" || (keyword == "hostaddr" && host.empty())) {
            host = value;
        } else if (keyword == "port") {
            port = value;
        } else if (keyword == "dbname") {
            dbname = value;
        }
    }
    return (user.empty() ? "" : user + "@") + (host.empty() ? "(default host)" : host) +
           (port.empty() ? "" : ":" + port) + "/" +
           (dbname.empty() ? "(default database)" : dbname);
}

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url,
                                                   const PostgresOptions& options) {
    auto conn =
        pg::connect(pg::ConnectSettings{url, options.connect_timeout, session_sql(options, true)});
    if (!conn) {
        return std::move(conn).take_error();
    }
    if (auto migrated = migrate(conn->get()); !migrated) {
        return std::move(migrated).take_error();
    }
    return std::unique_ptr<Store>(std::make_unique<PostgresStore>(url, options));
}

}  // namespace estd::store
