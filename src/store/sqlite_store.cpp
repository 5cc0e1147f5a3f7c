// The embedded store: SQLite in WAL mode. Writes go through the group-commit
// writer thread; reads use a small pool of read-only connections, which WAL
// lets run while the writer commits.

#include "estd/store/sqlite_store.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "group_commit.hpp"
#include "migrations.hpp"
#include "sql_store.hpp"
#include "sqlite.hpp"

namespace estd::store {
namespace {

using sqlite::Statement;

// Read-only connections handed out one caller at a time, each with the
// statements it has prepared.
class ReaderPool {
  public:
    struct Reader {
        explicit Reader(sqlite::DbPtr connection) : db(std::move(connection)) {}
        sqlite::DbPtr db;
        // Declared after db, so finalized before it closes.
        sqlite::StatementCache statements;
    };

    void add(sqlite::DbPtr db) { idle_.push_back(std::make_unique<Reader>(std::move(db))); }

    class Lease {
      public:
        Lease(ReaderPool& pool, std::unique_ptr<Reader> reader)
            : pool_(pool), reader_(std::move(reader)) {}
        ~Lease() { pool_.give_back(std::move(reader_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Reader& operator*() const { return *reader_; }

      private:
        ReaderPool& pool_;
        std::unique_ptr<Reader> reader_;
    };

    Lease acquire() {
        std::unique_lock lock(mutex_);
        available_.wait(lock, [this] { return !idle_.empty(); });
        auto reader = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(reader));
    }

  private:
    void give_back(std::unique_ptr<Reader> reader) {
        {
            std::lock_guard lock(mutex_);
            idle_.push_back(std::move(reader));
        }
        available_.notify_one();
    }

    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Reader>> idle_;
};

Status configure_connection(sqlite3* db, std::chrono::milliseconds busy_timeout) {
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
    // FULL: a commit is on disk before the writer reports it, which is what
    // "the certificate row is durable before the response" rests on.
    return sqlite::exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

// The writer's page cache. Each enrollment changes a leaf of each index
// with random keys (fingerprint, serial, common name); with SQLite's default
// 2 MiB cache the writer read those leaves back from the file (2.4 pread
// per enrollment on a store of 68 000 certificates, 0.07 with this cache).
// The cache is the writer's only and is allocated as pages are used, up to
// 16 MiB. The readers keep the default: WAL mode drops a reader's cache
// whenever the writer has committed, so a larger one would not pay.
constexpr int kWriterCacheKiB = 16 * 1024;
// The writer copies the log back every 1 000 pages (~4 MiB), SQLite's
// default. Every 10 000 copied fewer pages per enrollment (a page rewritten
// by many commits is copied once: 3.4 -> 1.4 on a 68 000-certificate store),
// but its pauses, which every enrollment in flight waits out, made p99 at
// 256 clients 2.2 to 11 times the mean instead of 1.7 to 2.1, for no CPU
// saving measurable on a fresh store (docs/performance.md, item 20). When a
// long read held the log past the mark, the restart cuts the file back to
// kWalSizeLimitBytes.
constexpr int kCheckpointPages = 1000;
constexpr long long kWalSizeLimitBytes = 64LL * 1024 * 1024;

Status configure_writer(sqlite3* db) {
    const std::string pragmas =
        "PRAGMA cache_size = -" + std::to_string(kWriterCacheKiB) +
        "; PRAGMA wal_autocheckpoint = " + std::to_string(kCheckpointPages) +
        "; PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes) + ";";
    return sqlite::exec(db, pragmas.c_str());
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

class SqliteStore final : public SqlStore<SqliteStore, Dialect::sqlite> {
  public:
    SqliteStore(std::unique_ptr<GroupCommitWriter> writer, std::vector<sqlite::DbPtr> readers,
                const SqliteOptions& options)
        : SqlStore(options.audit), writer_(std::move(writer)) {
        for (auto& reader : readers) {
            readers_.add(std::move(reader));
        }
        prune_audit_at_open();
    }

    Status reachable() override { return Ok{}; }
    Status flush() override { return writer_->flush(); }
    bool commits_without_waiting() const override { return true; }

  private:
    friend class SqlStore<SqliteStore, Dialect::sqlite>;

    template <class OnRow>
    Status read(const SqlQuery& query, OnRow&& on_row) {
        auto lease = readers_.acquire();
        auto& reader = *lease;
        return run_cached(reader.statements, reader.db.get(), query, on_row);
    }

    // The job runs on the writer thread while this caller waits for its
    // commit, so it may fill the caller's variables.
    template <class OnRow>
    Status write(const SqlQuery& query, OnRow&& on_row) {
        return writer_->run(
            [&](sqlite3* db) { return run_cached(writer_statements_, db, query, on_row); });
    }

    // Nobody waits: the writer calls `committed` after the commit.
    void write_then(SqlQuery query, CertificateInventory::Committed committed) {
        writer_->submit(
            [this, query = std::move(query)](sqlite3* db) {
                return run_cached(writer_statements_, db, query, ignore_rows);
            },
            std::move(committed));
    }

    Status append(SqlQuery query) {
        return writer_->post([this, query = std::move(query)](sqlite3* db) {
            return run_cached(writer_statements_, db, query, ignore_rows);
        });
    }

    void prune(SqlQuery pass) {
        auto posted = writer_->post([this, query = std::move(pass)](sqlite3* db) -> Status {
            auto pruned = run_cached(writer_statements_, db, query, ignore_rows);
            if (!pruned) {
                spdlog::error("store: expired audit rows not deleted: {}", pruned.error().message);
            }
            return pruned;
        });
        if (!posted) {
            spdlog::warn("store: expired audit rows not deleted now: {}", posted.error().message);
        }
    }

    // Each connection prepares a statement once, then reuses it.
    template <class OnRow>
    static Status run_cached(sqlite::StatementCache& statements, sqlite3* db, const SqlQuery& query,
                             OnRow&& on_row) {
        auto stmt = statements.prepare(db, query.sql());
        if (!stmt) {
            return std::move(stmt).take_error();
        }
        return each_row(*stmt, query, on_row);
    }

    template <class OnRow>
    static Status each_row(Statement& stmt, const SqlQuery& query, OnRow&& on_row) {
        if (auto bound = stmt.bind_all(query.args()); !bound) {
            return bound;
        }
        for (;;) {
            auto row = stmt.step();
            if (!row) {
                return std::move(row).take_error();
            }
            if (!*row) {
                return Ok{};
            }
            on_row(stmt);
        }
    }

    // Used only on the writer thread; declared first so it outlives the
    // writer (sqlite3_close_v2 defers the close until these are finalized).
    sqlite::StatementCache writer_statements_;
    std::unique_ptr<GroupCommitWriter> writer_;
    ReaderPool readers_;
};

}  // namespace

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
    if (auto tuned = configure_writer(writer_db->get()); !tuned) {
        return std::move(tuned).take_error();
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
    auto writer = std::make_unique<GroupCommitWriter>(
        std::move(*writer_db), options.max_queued_writes, options.max_batch, options.post_window);
    return std::unique_ptr<Store>(
        std::make_unique<SqliteStore>(std::move(writer), std::move(readers), options));
}

}  // namespace estd::store
