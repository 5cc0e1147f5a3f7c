// The embedded store: SQLite in WAL mode. Writes go through the group-commit
// writer thread; reads use a small pool of read-only connections, which WAL
// lets run while the writer commits.

#include "estd/store/sqlite_store.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "group_commit.hpp"
#include "migrations.hpp"
#include "sqlite.hpp"

namespace estd::store {
namespace {

using sqlite::Statement;
using sqlite::Value;

std::int64_t unix_seconds(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}
std::int64_t unix_millis(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}
TimePoint from_seconds(std::int64_t seconds) {
    return TimePoint(std::chrono::seconds(seconds));
}
TimePoint from_millis(std::int64_t millis) {
    return TimePoint(std::chrono::milliseconds(millis));
}

std::size_t bounded(std::size_t limit) {
    return std::clamp<std::size_t>(limit, 1, kMaxPageSize);
}

constexpr const char* kCertificateColumns =
    "id, issuer_id, serial, fingerprint, source, est_profile, profile_id, subject, common_name, "
    "subject_alt_names, not_before, not_after, public_key_sha256, auth_mode, source_ip, "
    "request_id, issued_at, revocation_reason, revoked_at, revoked_by";
// The DER is column 20 when asked for.

CertificateRecord read_certificate(const Statement& row, bool with_der) {
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
    const auto sans = nlohmann::json::parse(row.text(9), nullptr, false);
    if (sans.is_array()) {
        for (const auto& san : sans) {
            if (san.is_string()) {
                record.subject_alt_names.push_back(san.get<std::string>());
            }
        }
    }
    record.not_before = from_seconds(row.integer(10));
    record.not_after = from_seconds(row.integer(11));
    record.public_key_sha256 = row.text(12);
    record.auth_mode = row.text(13);
    record.source_ip = row.text(14);
    record.request_id = row.text(15);
    record.issued_at = from_seconds(row.integer(16));
    if (!row.is_null(18)) {
        record.revocation = Revocation{static_cast<int>(row.integer(17)),
                                       from_seconds(row.integer(18)), row.text(19)};
    }
    if (with_der) {
        record.der = row.blob(20);
    }
    return record;
}

// Appends " AND ..." for every set criterion.
void add_criteria(const CertificateCriteria& c, TimePoint now, std::string& sql,
                  std::vector<Value>& args) {
    const auto equals = [&](const char* column, const std::string& value) {
        if (!value.empty()) {
            sql += std::string(" AND ") + column + " = ?";
            args.emplace_back(value);
        }
    };
    equals("issuer_id", c.issuer_id);
    equals("profile_id", c.profile_id);
    equals("est_profile", c.est_profile);
    equals("source", c.source);
    equals("common_name", c.common_name);
    if (!c.serials.empty()) {
        // One parameter whatever the number of serials.
        nlohmann::json list = nlohmann::json::array();
        for (const auto& serial : c.serials) {
            list.push_back(normalize_serial(serial));
        }
        sql += " AND serial IN (SELECT value FROM json_each(?))";
        args.emplace_back(list.dump());
    }
    if (c.issued_before) {
        sql += " AND issued_at < ?";
        args.emplace_back(unix_seconds(*c.issued_before));
    }
    if (c.issued_after) {
        sql += " AND issued_at > ?";
        args.emplace_back(unix_seconds(*c.issued_after));
    }
    if (c.state == CertificateState::active) {
        sql += " AND revoked_at IS NULL AND not_after > ?";
        args.emplace_back(unix_seconds(now));
    } else if (c.state == CertificateState::revoked) {
        sql += " AND revoked_at IS NOT NULL";
    }
}

// Read-only connections handed out one caller at a time.
class ReaderPool {
  public:
    void add(sqlite::DbPtr db) { idle_.push_back(std::move(db)); }

    class Lease {
      public:
        Lease(ReaderPool& pool, sqlite::DbPtr db) : pool_(pool), db_(std::move(db)) {}
        ~Lease() { pool_.give_back(std::move(db_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        sqlite3* get() const { return db_.get(); }

      private:
        ReaderPool& pool_;
        sqlite::DbPtr db_;
    };

    Lease acquire() {
        std::unique_lock lock(mutex_);
        available_.wait(lock, [this] { return !idle_.empty(); });
        sqlite::DbPtr db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(db));
    }

  private:
    void give_back(sqlite::DbPtr db) {
        {
            std::lock_guard lock(mutex_);
            idle_.push_back(std::move(db));
        }
        available_.notify_one();
    }

    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<sqlite::DbPtr> idle_;
};

Status configure_connection(sqlite3* db, std::chrono::milliseconds busy_timeout) {
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
    // FULL: a commit is on disk before the writer reports it, which is what
    // "the certificate row is durable before the response" rests on.
    return sqlite::exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

Status enable_wal(sqlite3* db) {
    auto stmt = Statement::prepare(db, "PRAGMA journal_mode = WAL");
    if (!stmt) {
        return std::move(stmt).take_error();
    }
    auto row = stmt->step();
    if (!row) {
        return std::move(row).take_error();
    }
    if (!*row || stmt->text(0) != "wal") {
        return Error::internal("store: the database refused WAL mode");
    }
    return Ok{};
}

// Creates the file with owner-only permissions before SQLite does, since it
// holds the audit trail; the -wal and -shm files inherit the mode.
Status create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return Error::internal("store: cannot create " + path);
    }
    ::close(fd);
    return Ok{};
}

class SqliteStore final : public Store {
  public:
    SqliteStore(std::unique_ptr<GroupCommitWriter> writer, std::vector<sqlite::DbPtr> readers,
                const SqliteOptions& options)
        : writer_(std::move(writer)),
          audit_retention_(options.audit_retention),
          audit_prune_every_(std::max<std::size_t>(options.audit_prune_every, 1)),
          audit_prune_batch_(std::max<std::size_t>(options.audit_prune_batch, 1)) {
        for (auto& reader : readers) {
            readers_.add(std::move(reader));
        }
        prune_audit();
    }

    Status add_certificate(const CertificateRecord& r) override {
        nlohmann::json sans = r.subject_alt_names;
        std::vector<Value> args{
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
        };
        return writer_->run([this, args = std::move(args)](sqlite3* db) -> Status {
            return run_cached(
                db,
                "INSERT INTO certificates (issuer_id, serial, fingerprint, source, est_profile, "
                "profile_id, subject, common_name, subject_alt_names, not_before, not_after, "
                "public_key_sha256, auth_mode, source_ip, request_id, issued_at, der) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                args);
        });
    }

    Result<std::optional<CertificateRecord>> find_by_fingerprint(
        const std::string& fingerprint) override {
        return find_one("fingerprint = ?", {fingerprint});
    }

    Result<std::optional<CertificateRecord>> find_certificate(const std::string& issuer_id,
                                                              const std::string& serial) override {
        return find_one("issuer_id = ? AND serial = ?", {issuer_id, normalize_serial(serial)});
    }

    Result<CertificatePage> list_certificates(const CertificateQuery& query) override {
        const std::size_t limit = bounded(query.limit);
        std::string sql = std::string("SELECT ") + kCertificateColumns +
                          (query.include_der ? ", der" : "") + " FROM certificates WHERE 1";
        std::vector<Value> args;
        add_criteria(query.criteria, std::chrono::system_clock::now(), sql, args);
        if (query.before_id > 0) {
            sql += " AND id < ?";
            args.emplace_back(query.before_id);
        }
        sql += " ORDER BY id DESC LIMIT ?";
        args.emplace_back(static_cast<std::int64_t>(limit + 1));

        CertificatePage page;
        auto status = read(sql, args, [&](const Statement& row) {
            page.items.push_back(read_certificate(row, query.include_der));
        });
        if (!status) {
            return std::move(status).take_error();
        }
        if (page.items.size() > limit) {
            page.items.pop_back();
            page.next_cursor = page.items.back().id;
        }
        return page;
    }

    Result<std::vector<RevokedCertificate>> revoke(const RevocationRequest& request) override {
        std::string sql =
            "UPDATE certificates SET revocation_reason = ?, revoked_at = ?, revoked_by = ? "
            "WHERE revoked_at IS NULL";
        std::vector<Value> args{static_cast<std::int64_t>(request.reason),
                                unix_seconds(request.revoked_at), request.actor};
        CertificateCriteria criteria = request.criteria;
        criteria.state = CertificateState::any;
        add_criteria(criteria, request.revoked_at, sql, args);
        sql += " RETURNING issuer_id, serial";

        auto revoked = std::make_shared<std::vector<RevokedCertificate>>();
        auto status = writer_->run([sql, args, revoked](sqlite3* db) -> Status {
            revoked->clear();
            return each_row(db, sql, args, [&](const Statement& row) {
                revoked->push_back({row.text(0), row.text(1)});
            });
        });
        if (!status) {
            return std::move(status).take_error();
        }
        return std::move(*revoked);
    }

    Result<std::vector<CrlEntry>> crl_entries(const std::string& issuer_id,
                                              TimePoint now) override {
        std::vector<CrlEntry> entries;
        auto status = read(
            "SELECT serial, revoked_at, revocation_reason FROM certificates "
            "WHERE issuer_id = ? AND revoked_at IS NOT NULL AND not_after > ? ORDER BY id",
            {issuer_id, unix_seconds(now)}, [&](const Statement& row) {
                entries.push_back(
                    {row.text(0), from_seconds(row.integer(1)), static_cast<int>(row.integer(2))});
            });
        if (!status) {
            return std::move(status).take_error();
        }
        return entries;
    }

    Result<std::uint64_t> next_crl_number(const std::string& issuer_id) override {
        auto number = std::make_shared<std::int64_t>(0);
        auto status = writer_->run([issuer_id, number](sqlite3* db) -> Status {
            return each_row(db,
                            "INSERT INTO crl_numbers (issuer_id, last_number) VALUES (?, 1) "
                            "ON CONFLICT (issuer_id) DO UPDATE SET last_number = last_number + 1 "
                            "RETURNING last_number",
                            {issuer_id}, [&](const Statement& row) { *number = row.integer(0); });
        });
        if (!status) {
            return std::move(status).take_error();
        }
        return static_cast<std::uint64_t>(*number);
    }

    Status append_audit(const audit::AuditEvent& e, TimePoint time) override {
        std::vector<Value> args{
            unix_millis(time), e.action,  e.operation_action, e.profile,
            e.source_ip,       e.subject, e.serial,           e.issuer_id,
            e.request_id,      e.actor,   e.reason,           static_cast<std::int64_t>(e.status)};
        auto posted = writer_->post([this, args = std::move(args)](sqlite3* db) -> Status {
            return run_cached(db,
                              "INSERT INTO audit_events (time_ms, action, operation_action, "
                              "profile, source_ip, subject, serial, issuer_id, request_id, actor, "
                              "reason, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              args);
        });
        if (posted && ++audit_appended_ % audit_prune_every_ == 0) {
            prune_audit();
        }
        return posted;
    }

    Result<AuditPage> list_audit(const AuditQuery& query) override {
        const std::size_t limit = bounded(query.limit);
        std::string sql =
            "SELECT id, time_ms, action, operation_action, profile, source_ip, subject, serial, "
            "issuer_id, request_id, actor, reason, status FROM audit_events WHERE 1";
        std::vector<Value> args;
        if (!query.action_prefix.empty()) {
            // substr, not LIKE: exact and case-sensitive, no escaping of '_'.
            sql += " AND (substr(action, 1, ?) = ? OR substr(operation_action, 1, ?) = ?)";
            const auto n = static_cast<std::int64_t>(query.action_prefix.size());
            args.insert(args.end(), {n, query.action_prefix, n, query.action_prefix});
        }
        const auto equals = [&](const char* column, const std::string& value) {
            if (!value.empty()) {
                sql += std::string(" AND ") + column + " = ?";
                args.emplace_back(value);
            }
        };
        equals("profile", query.profile);
        equals("actor", query.actor);
        equals("serial", query.serial.empty() ? query.serial : normalize_serial(query.serial));
        if (query.since) {
            sql += " AND time_ms >= ?";
            args.emplace_back(unix_millis(*query.since));
        }
        if (query.until) {
            sql += " AND time_ms < ?";
            args.emplace_back(unix_millis(*query.until));
        }
        if (query.before_id > 0) {
            sql += " AND id < ?";
            args.emplace_back(query.before_id);
        }
        sql += " ORDER BY id DESC LIMIT ?";
        args.emplace_back(static_cast<std::int64_t>(limit + 1));

        AuditPage page;
        auto status = read(sql, args, [&](const Statement& row) {
            AuditRecord record;
            record.id = row.integer(0);
            record.time = from_millis(row.integer(1));
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
            page.items.push_back(std::move(record));
        });
        if (!status) {
            return std::move(status).take_error();
        }
        if (page.items.size() > limit) {
            page.items.pop_back();
            page.next_cursor = page.items.back().id;
        }
        return page;
    }

    Result<std::vector<CertificateRecord>> pending_expiry_notices(int threshold_days, TimePoint now,
                                                                  std::size_t limit) override {
        const std::string sql =
            std::string("SELECT ") + kCertificateColumns +
            " FROM certificates c WHERE revoked_at IS NULL AND not_after > ? AND not_after <= ? "
            "AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.issuer_id = c.issuer_id AND "
            "n.serial = c.serial AND n.threshold_days = ?) ORDER BY not_after LIMIT ?";
        const auto horizon = now + std::chrono::hours(24) * threshold_days;
        std::vector<CertificateRecord> out;
        auto status = read(
            sql,
            {unix_seconds(now), unix_seconds(horizon), static_cast<std::int64_t>(threshold_days),
             static_cast<std::int64_t>(bounded(limit))},
            [&](const Statement& row) { out.push_back(read_certificate(row, false)); });
        if (!status) {
            return std::move(status).take_error();
        }
        return out;
    }

    Status mark_expiry_notice_delivered(const std::string& issuer_id, const std::string& serial,
                                        int threshold_days, TimePoint delivered_at) override {
        std::vector<Value> args{issuer_id, normalize_serial(serial),
                                static_cast<std::int64_t>(threshold_days),
                                unix_seconds(delivered_at)};
        return writer_->run([args = std::move(args)](sqlite3* db) -> Status {
            return each_row(db,
                            "INSERT OR IGNORE INTO expiry_notices (issuer_id, serial, "
                            "threshold_days, delivered_at) VALUES (?, ?, ?, ?)",
                            args, [](const Statement&) {});
        });
    }

    Status flush() override { return writer_->flush(); }

  private:
    // On the writer thread: `sql` prepared once, bound to `args`, run.
    Status run_cached(sqlite3* db, const std::string& sql, const std::vector<Value>& args) {
        auto stmt = writer_statements_.prepare(db, sql);
        if (!stmt) {
            return std::move(stmt).take_error();
        }
        if (auto bound = stmt->bind_all(args); !bound) {
            return bound;
        }
        return stmt->run();
    }

    // Queues one pass that deletes up to audit_prune_batch_ of the oldest
    // rows older than the retention. Rows are taken in id (append) order up
    // to the first one still within it, so the pass reads only what it
    // deletes, and a row is never deleted before an older-appended one.
    void prune_audit() {
        if (!audit_retention_) {
            return;
        }
        const std::vector<Value> args{
            unix_millis(std::chrono::system_clock::now() - *audit_retention_),
            static_cast<std::int64_t>(audit_prune_batch_)};
        auto posted = writer_->post([this, args](sqlite3* db) -> Status {
            auto pruned = run_cached(
                db,
                "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE id < "
                "COALESCE((SELECT id FROM audit_events WHERE time_ms >= ?1 ORDER BY id LIMIT 1), "
                "(SELECT MAX(id) + 1 FROM audit_events)) ORDER BY id LIMIT ?2)",
                args);
            if (!pruned) {
                spdlog::error("store: expired audit rows not deleted: {}", pruned.error().message);
            }
            return pruned;
        });
        if (!posted) {
            spdlog::warn("store: expired audit rows not deleted now: {}", posted.error().message);
        }
    }

    template <class OnRow>
    static Status each_row(sqlite3* db, const std::string& sql, const std::vector<Value>& args,
                           OnRow&& on_row) {
        auto stmt = Statement::prepare(db, sql);
        if (!stmt) {
            return std::move(stmt).take_error();
        }
        if (auto bound = stmt->bind_all(args); !bound) {
            return bound;
        }
        for (;;) {
            auto row = stmt->step();
            if (!row) {
                return std::move(row).take_error();
            }
            if (!*row) {
                return Ok{};
            }
            on_row(*stmt);
        }
    }

    template <class OnRow>
    Status read(const std::string& sql, const std::vector<Value>& args, OnRow&& on_row) {
        auto lease = readers_.acquire();
        return each_row(lease.get(), sql, args, std::forward<OnRow>(on_row));
    }

    Result<std::optional<CertificateRecord>> find_one(const std::string& where,
                                                      const std::vector<Value>& args) {
        std::optional<CertificateRecord> found;
        auto status =
            read(std::string("SELECT ") + kCertificateColumns + ", der FROM certificates WHERE " +
                     where + " LIMIT 1",
                 args, [&](const Statement& row) { found = read_certificate(row, true); });
        if (!status) {
            return std::move(status).take_error();
        }
        return found;
    }

    // Used only on the writer thread; declared first so it outlives the
    // writer (sqlite3_close_v2 defers the close until these are finalized).
    sqlite::StatementCache writer_statements_;
    std::unique_ptr<GroupCommitWriter> writer_;
    ReaderPool readers_;
    const std::optional<std::chrono::seconds> audit_retention_;
    const std::size_t audit_prune_every_;
    const std::size_t audit_prune_batch_;
    std::atomic<std::size_t> audit_appended_{0};
};

}  // namespace

std::string normalize_serial(std::string_view text) {
    std::string hex;
    for (char c : text) {
        if (c == ':' || c == ' ') {
            continue;
        }
        hex.push_back(c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    const auto first = hex.find_first_not_of('0');
    hex = first == std::string::npos ? std::string("0") : hex.substr(first);
    // Byte-aligned, as pki::serial_hex writes it.
    if (hex.size() % 2 == 1 && hex != "0") {
        hex.insert(hex.begin(), '0');
    }
    return hex;
}

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 const SqliteOptions& options) {
    if (auto created = create_private_file(path.string()); !created) {
        return std::move(created).take_error();
    }
    auto writer_db = sqlite::open(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!writer_db) {
        return std::move(writer_db).take_error();
    }
    if (auto configured = configure_connection(writer_db->get(), options.busy_timeout);
        !configured) {
        return std::move(configured).take_error();
    }
    if (auto wal = enable_wal(writer_db->get()); !wal) {
        return std::move(wal).take_error();
    }
    if (auto migrated = migrate(writer_db->get()); !migrated) {
        return std::move(migrated).take_error();
    }
    std::vector<sqlite::DbPtr> readers;
    for (std::size_t i = 0; i < std::max<std::size_t>(options.reader_connections, 1); ++i) {
        auto reader = sqlite::open(path.string(), SQLITE_OPEN_READWRITE);
        if (!reader) {
            return std::move(reader).take_error();
        }
        if (auto configured = configure_connection(reader->get(), options.busy_timeout);
            !configured) {
            return std::move(configured).take_error();
        }
        if (auto ro = sqlite::exec(reader->get(), "PRAGMA query_only = ON"); !ro) {
            return std::move(ro).take_error();
        }
        readers.push_back(std::move(*reader));
    }
    auto writer = std::make_unique<GroupCommitWriter>(std::move(*writer_db),
                                                      options.max_queued_writes, options.max_batch);
    return std::unique_ptr<Store>(
        std::make_unique<SqliteStore>(std::move(writer), std::move(readers), options));
}

}  // namespace estd::store
