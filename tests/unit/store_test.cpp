// The inventory on both backends (StoreContract: filters and pagination,
// revocation, CRL numbers, audit rows and their retention, expiry notices),
// then what is particular to each: the embedded store's migrations and group
// commit; the PostgreSQL store's migrations, reconnection and several estd
// sharing one database.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../src/store/group_commit.hpp"
#include "../src/store/migrations.hpp"
#include "../src/store/postgres.hpp"
#include "../src/store/sqlite.hpp"
#include "estd/auth/principal_rate_limiter.hpp"
#include "estd/auth/shared_limit.hpp"
#include "estd/store/postgres_store.hpp"
#include "estd/store/sqlite_store.hpp"
#include "support/postgres.hpp"
#include "support/test_pki.hpp"

namespace estd::store {
namespace {

using namespace std::chrono_literals;

CertificateRecord make_record(int n, const std::string& profile_id = "cp-iot",
                              const std::string& issuer_id = "iss-local") {
    CertificateRecord r;
    r.issuer_id = issuer_id;
    r.serial = "0a" + std::to_string(1000 + n);
    r.fingerprint = "fp-" + issuer_id + "-" + std::to_string(n);
    r.est_profile = "iot";
    r.profile_id = profile_id;
    r.subject = "CN=dev-" + std::to_string(n);
    r.common_name = "dev-" + std::to_string(n);
    r.subject_alt_names = {"DNS:dev-" + std::to_string(n) + ".example.com"};
    const auto now = std::chrono::system_clock::now();
    r.not_before = now - 1h;
    r.not_after = now + 365 * 24h;
    r.public_key_sha256 = "pk";
    r.auth_mode = "anonymous";
    r.source_ip = "127.0.0.1";
    r.request_id = "req";
    r.issued_at = now;
    r.der = {0x30, 0x03, 0x02, 0x01, static_cast<std::uint8_t>(n)};
    return r;
}

class SqliteStoreTest : public ::testing::Test {
  protected:
    std::unique_ptr<Store> open(const SqliteOptions& options = {}) {
        auto store = open_sqlite_store(dir.path() / "estd.db", options);
        EXPECT_TRUE(store) << (store ? "" : store.error().message);
        return store ? std::move(*store) : nullptr;
    }
    test::TempDir dir;
};

// One PostgreSQL server for every test here that needs one; each test takes
// a database of its own.
class SharedPostgres {
  public:
    static testing::PostgresServer* server() {
        static SharedPostgres shared;
        return shared.server_.get();
    }
    static std::string new_database() {
        static std::atomic<int> next{0};
        return server()->create_database("store_" + std::to_string(++next));
    }

  private:
    SharedPostgres() {
        if (testing::postgres_unavailable_reason().empty()) {
            server_ = std::make_unique<testing::PostgresServer>(dir_.path());
        }
    }
    test::TempDir dir_;
    std::unique_ptr<testing::PostgresServer> server_;
};

enum class Backend { sqlite, postgres };

const char* name_of(Backend backend) {
    return backend == Backend::sqlite ? "sqlite" : "postgres";
}
void PrintTo(Backend backend, std::ostream* out) {
    *out << name_of(backend);
}

class StoreContract : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        if (GetParam() == Backend::postgres) {
            ESTD_REQUIRE_POSTGRES();
            url_ = SharedPostgres::new_database();
        }
    }

    // Opening again reopens the same database.
    std::unique_ptr<Store> open(const AuditRetention& audit = {}) {
        Result<std::unique_ptr<Store>> store = Error::internal("no backend");
        if (GetParam() == Backend::sqlite) {
            SqliteOptions options;
            options.audit = audit;
            store = open_sqlite_store(dir_.path() / "estd.db", options);
        } else {
            PostgresOptions options;
            options.audit = audit;
            store = open_postgres_store(url_, options);
        }
        EXPECT_TRUE(store) << (store ? "" : store.error().message);
        return store ? std::move(*store) : nullptr;
    }

  private:
    test::TempDir dir_;
    std::string url_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const auto& param_info) { return name_of(param_info.param); });

TEST_F(SqliteStoreTest, MigratesAFreshDatabaseAndKeepsDataAcrossReopen) {
    {
        auto store = open();
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->add_certificate(make_record(1)));
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / "estd.db").c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, nullptr);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), sqlite_schema_version());
    sqlite3_finalize(stmt);
    sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(raw);

    auto reopened = open();
    ASSERT_TRUE(reopened);
    auto found = reopened->find_certificate("iss-local", "0A1001");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->common_name, "dev-1");
    EXPECT_EQ((*found)->subject_alt_names, std::vector<std::string>{"DNS:dev-1.example.com"});
    EXPECT_EQ((*found)->der.size(), 5U);
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerSchema) {
    { ASSERT_TRUE(open()); }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / "estd.db").c_str(), &raw), SQLITE_OK);
    const std::string bump = "PRAGMA user_version = " + std::to_string(sqlite_schema_version() + 1);
    ASSERT_EQ(sqlite3_exec(raw, bump.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
    auto store = open_sqlite_store(dir.path() / "estd.db");
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().message.find("newer estd"), std::string::npos) << store.error().message;
}

// A store as estd wrote it at schema version 1, with rows, moves to the
// current version with every row and query as it was; the indexes that
// version 2 drops are gone.
TEST_F(SqliteStoreTest, MigratesAVersionOneStoreWithItsRowsIntact) {
    const auto path = dir.path() / "estd.db";
    {
        auto db = sqlite::open(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        ASSERT_TRUE(db);
        ASSERT_TRUE(sqlite::exec(db->get(), "PRAGMA journal_mode = WAL"));
        ASSERT_TRUE(migrate(db->get(), 1));
        ASSERT_TRUE(sqlite::exec(
            db->get(),
            "INSERT INTO certificates (issuer_id, serial, fingerprint, source, est_profile, "
            "profile_id, subject, common_name, subject_alt_names, not_before, not_after, "
            "public_key_sha256, auth_mode, source_ip, request_id, issued_at, der, "
            "revocation_reason, revoked_at, revoked_by) VALUES "
            "('iss-local', '0a01', 'fp-1', 'EST', 'iot', 'cp-iot', 'CN=dev-1', 'dev-1', "
            "'[\"DNS:dev-1.example.com\"]', 100, 4000000000, 'pk', 'anonymous', '127.0.0.1', "
            "'req-1', 100, x'30030201ff', NULL, NULL, NULL), "
            "('iss-local', '0a02', 'fp-2', 'EST', 'iot', 'cp-corp', 'CN=dev-2', 'dev-2', '[]', "
            "100, 4000000000, 'pk', 'basic', '127.0.0.1', 'req-2', 101, x'3000', 1, 200, "
            "'ops');"
            "INSERT INTO audit_events (time_ms, action, operation_action, profile, source_ip, "
            "subject, serial, issuer_id, request_id, actor, reason, status) VALUES "
            "(100000, 'est_simple_enroll_success', '', 'iot', '127.0.0.1', 'CN=dev-1', '0a01', "
            "'iss-local', 'req-1', '', '', 200), "
            "(101000, 'api_revoke', 'certificate_revoke', '', '10.0.0.1', '', '0a02', "
            "'iss-local', 'req-2', 'ops', 'keyCompromise', 200);"));
    }
    auto store = open();
    ASSERT_TRUE(store);

    auto all = store->list_certificates({});
    ASSERT_TRUE(all);
    ASSERT_EQ(all->items.size(), 2U);
    EXPECT_EQ(all->items[0].id, 2);
    EXPECT_EQ(all->items[1].id, 1);
    auto first = store->find_by_fingerprint("fp-1");
    ASSERT_TRUE(first && *first);
    EXPECT_EQ((*first)->serial, "0a01");
    EXPECT_EQ((*first)->subject_alt_names, std::vector<std::string>{"DNS:dev-1.example.com"});
    EXPECT_EQ((*first)->der, (pki::Bytes{0x30, 0x03, 0x02, 0x01, 0xff}));
    EXPECT_FALSE((*first)->revocation);
    auto second = store->find_certificate("iss-local", "0A:02");
    ASSERT_TRUE(second && *second);
    ASSERT_TRUE((*second)->revocation);
    EXPECT_EQ((*second)->revocation->actor, "ops");
    CertificateQuery by_cn;
    by_cn.criteria.common_name = "dev-2";
    auto named = store->list_certificates(by_cn);
    ASSERT_TRUE(named);
    ASSERT_EQ(named->items.size(), 1U);
    EXPECT_EQ(named->items[0].profile_id, "cp-corp");

    AuditQuery revocations;
    revocations.action_prefixes = {"certificate_"};
    auto audit = store->list_audit(revocations);
    ASSERT_TRUE(audit);
    ASSERT_EQ(audit->items.size(), 1U);
    EXPECT_EQ(audit->items[0].id, 2);
    EXPECT_EQ(audit->items[0].event.actor, "ops");

    // New rows continue the ids.
    ASSERT_TRUE(store->add_certificate(make_record(3)));
    auto newest = store->list_certificates({});
    ASSERT_TRUE(newest);
    ASSERT_EQ(newest->items.size(), 3U);
    EXPECT_EQ(newest->items[0].id, 3);
    store.reset();

    auto db = sqlite::open(path.string(), SQLITE_OPEN_READONLY);
    ASSERT_TRUE(db);
    auto indexes = sqlite::Statement::prepare(
        db->get(),
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
        "('audit_events_action', 'audit_events_operation_action')");
    ASSERT_TRUE(indexes && indexes->step());
    EXPECT_EQ(indexes->integer(0), 0);
    auto version = sqlite::Statement::prepare(db->get(), "PRAGMA user_version");
    ASSERT_TRUE(version && version->step());
    EXPECT_EQ(version->integer(0), sqlite_schema_version());
}

TEST_F(SqliteStoreTest, ConcurrentWritesAreGroupedIntoFewerCommits) {
    auto db =
        sqlite::open((dir.path() / "g.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db);
    ASSERT_TRUE(sqlite::exec(db->get(), "PRAGMA journal_mode=WAL; CREATE TABLE t (v INTEGER)"));
    GroupCommitWriter writer(std::move(*db), 10000, 256, 10ms);
    constexpr int kThreads = 16;
    constexpr int kPerThread = 20;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&writer, &ok, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const std::string sql =
                    "INSERT INTO t VALUES (" + std::to_string(t * 100 + i) + ")";
                if (writer.run([sql](sqlite3* conn) { return sqlite::exec(conn, sql.c_str()); })) {
                    ++ok;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(ok.load(), kThreads * kPerThread);
    // Every write waited for its commit, yet commits were shared.
    EXPECT_LT(writer.commits(), static_cast<std::size_t>(kThreads * kPerThread));
}

// The default VFS with every file's xSync counted: what reaches the disk is
// what the durability rules are about, so the tests look there.
class SyncCountingVfs {
  public:
    SyncCountingVfs() : real_(sqlite3_vfs_find(nullptr)), vfs_(*real_) {
        vfs_.zName = "estd-sync-counting";
        vfs_.pAppData = this;
        vfs_.pNext = nullptr;
        vfs_.xOpen = &open_file;
        sqlite3_vfs_register(&vfs_, 0);
    }
    ~SyncCountingVfs() { sqlite3_vfs_unregister(&vfs_); }
    SyncCountingVfs(const SyncCountingVfs&) = delete;
    SyncCountingVfs& operator=(const SyncCountingVfs&) = delete;

    Result<sqlite::DbPtr> open(const std::filesystem::path& path) {
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs_.zName);
        sqlite::DbPtr db(raw);
        if (rc != SQLITE_OK) {
            return sqlite::db_error(db.get(), "open");
        }
        return db;
    }
    int syncs() const { return syncs_.load(); }

  private:
    // The real file's methods with xSync counted; the first member, so a
    // file's pMethods leads back to it.
    struct Methods {
        sqlite3_io_methods counted;
        const sqlite3_io_methods* real;
        SyncCountingVfs* owner;
    };

    static int open_file(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
                         int* out_flags) {
        auto* self = static_cast<SyncCountingVfs*>(vfs->pAppData);
        const int rc = self->real_->xOpen(self->real_, name, file, flags, out_flags);
        if (rc == SQLITE_OK && file->pMethods != nullptr) {
            file->pMethods = &self->methods_for(file->pMethods)->counted;
        }
        return rc;
    }
    static int sync_file(sqlite3_file* file, int flags) {
        const auto* methods = reinterpret_cast<const Methods*>(file->pMethods);
        ++methods->owner->syncs_;
        return methods->real->xSync(file, flags);
    }
    Methods* methods_for(const sqlite3_io_methods* real) {
        std::lock_guard lock(mutex_);
        for (auto& methods : methods_) {
            if (methods->real == real) {
                return methods.get();
            }
        }
        auto methods = std::make_unique<Methods>(Methods{*real, real, this});
        methods->counted.xSync = &sync_file;
        methods_.push_back(std::move(methods));
        return methods_.back().get();
    }

    sqlite3_vfs* real_;
    sqlite3_vfs vfs_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Methods>> methods_;
    std::atomic<int> syncs_{0};
};

GroupCommitWriter::Job insert_value(int value) {
    return [value](sqlite3* db) {
        return sqlite::exec(db, ("INSERT INTO t VALUES (" + std::to_string(value) + ")").c_str());
    };
}

// A writer as the store makes it: WAL with synchronous = FULL.
sqlite::DbPtr writer_database(Result<sqlite::DbPtr> db) {
    EXPECT_TRUE(db) << (db ? "" : db.error().message);
    EXPECT_TRUE(sqlite::exec(db->get(),
                             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                             "CREATE TABLE t (v INTEGER)"));
    return std::move(*db);
}

std::int64_t rows_in(const std::filesystem::path& path) {
    auto db = sqlite::open(path.string(), SQLITE_OPEN_READONLY);
    auto count = sqlite::Statement::prepare(db->get(), "SELECT count(*) FROM t");
    EXPECT_TRUE(count && count->step());
    return count->integer(0);
}

TEST_F(SqliteStoreTest, PostedWritesShareOneCommitThatTheNextWaitedForCommitMakesDurable) {
    SyncCountingVfs vfs;
    GroupCommitWriter writer(writer_database(vfs.open(dir.path() / "p.db")), 10000, 256, 2s);
    const int syncs_at_start = vfs.syncs();
    constexpr int kPosts = 20;
    for (int i = 0; i < kPosts; ++i) {  // spread out, as audit rows arrive
        ASSERT_TRUE(writer.post(insert_value(i)));
        std::this_thread::sleep_for(2ms);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (writer.commits() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(writer.commits(), 1u) << "the posts inside one window share one commit";
    EXPECT_EQ(rows_in(dir.path() / "p.db"), kPosts) << "committed: visible to a reader";
    EXPECT_EQ(vfs.syncs(), syncs_at_start) << "a commit of posts alone does not wait for the disk";

    ASSERT_TRUE(writer.run(insert_value(kPosts)));
    EXPECT_GT(vfs.syncs(), syncs_at_start) << "a waited-for commit syncs the log";
    EXPECT_EQ(writer.commits(), 2u);
}

TEST_F(SqliteStoreTest, AWaitedForWriteOrAShutdownDoesNotWaitOutThePostWindow) {
    const auto path = dir.path() / "w.db";
    const auto started = std::chrono::steady_clock::now();
    {
        auto db = sqlite::open(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        GroupCommitWriter writer(writer_database(std::move(db)), 10000, 256, 1h);
        ASSERT_TRUE(writer.post(insert_value(1)));
        ASSERT_TRUE(writer.run(insert_value(2)));
        EXPECT_EQ(writer.commits(), 1u) << "the post rode along with the waited-for write";
        ASSERT_TRUE(writer.post(insert_value(3)));
    }  // the destructor commits what is queued
    EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
    EXPECT_EQ(rows_in(path), 3);
}

// Jobs run without a savepoint each: a statement that fails is undone by
// SQLite alone, whatever rows it had written, and the batch commits the rest.
TEST_F(SqliteStoreTest, AFailingStatementLeavesNothingAndTheBatchCommitsTheRest) {
    const auto path = dir.path() / "f.db";
    auto db =
        writer_database(sqlite::open(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    ASSERT_TRUE(sqlite::exec(db.get(), "CREATE UNIQUE INDEX t_v ON t (v)"));
    GroupCommitWriter writer(std::move(db), 10000, 256, 1h);
    // Queued behind the post window, so the three share one transaction.
    ASSERT_TRUE(writer.post(insert_value(1)));
    ASSERT_TRUE(writer.post([](sqlite3* conn) {
        // Two rows are written before the third one fails.
        return sqlite::exec(conn, "INSERT INTO t VALUES (10), (11), (1)");
    }));
    ASSERT_TRUE(writer.run(insert_value(2)));
    EXPECT_EQ(writer.commits(), 1u);
    EXPECT_EQ(rows_in(path), 2);
}

// When SQLite gives up the whole transaction under a failing job, the jobs
// before it are lost with it: the batch stops there and every caller is told,
// rather than the rest committing one by one outside the transaction.
TEST_F(SqliteStoreTest, ATransactionSQLiteRolledBackFailsItsWholeBatch) {
    const auto path = dir.path() / "r.db";
    GroupCommitWriter writer(
        writer_database(sqlite::open(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)),
        10000, 256, 1h);
    ASSERT_TRUE(writer.post(insert_value(1)));
    ASSERT_TRUE(writer.post([](sqlite3* conn) -> Status {
        (void)sqlite::exec(conn, "ROLLBACK");  // as SQLite does on, say, an I/O error
        return Error::internal("store: disk I/O error");
    }));
    EXPECT_FALSE(writer.run(insert_value(2)));
    EXPECT_EQ(rows_in(path), 0);
    ASSERT_TRUE(writer.run(insert_value(3)));
    EXPECT_EQ(rows_in(path), 1);
}

// A cached statement stays prepared on its connection (sqlite3_next_stmt
// lists it) and is handed out again; past the bound, statements are
// finalized after their one use.
TEST(SqliteStatementCacheTest, KeepsStatementsPreparedUpToABound) {
    auto db = sqlite::open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db) << db.error().message;
    sqlite::StatementCache cache;
    const auto prepared = [&] {
        std::size_t n = 0;
        for (sqlite3_stmt* stmt = sqlite3_next_stmt(db->get(), nullptr); stmt != nullptr;
             stmt = sqlite3_next_stmt(db->get(), stmt)) {
            ++n;
        }
        return n;
    };
    const auto select = [&](std::size_t value) {
        auto stmt = cache.prepare(db->get(), "SELECT " + std::to_string(value));
        ASSERT_TRUE(stmt) << stmt.error().message;
        auto row = stmt->step();
        ASSERT_TRUE(row && *row);
        EXPECT_EQ(stmt->integer(0), static_cast<std::int64_t>(value));
    };
    select(0);
    select(0);
    EXPECT_EQ(prepared(), 1U);
    for (std::size_t value = 1; value < sqlite::StatementCache::kMaxStatements + 5; ++value) {
        select(value);
    }
    EXPECT_EQ(prepared(), sqlite::StatementCache::kMaxStatements);
    select(0);
    EXPECT_EQ(prepared(), sqlite::StatementCache::kMaxStatements);
}

TEST_P(StoreContract, AFailingWriteDoesNotTakeTheOthersDown) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add_certificate(make_record(1)));
    // Another certificate under the same issuer and serial: refused by the
    // UNIQUE constraint, alone.
    auto same_serial = make_record(2);
    same_serial.serial = make_record(1).serial;
    EXPECT_FALSE(store->add_certificate(same_serial));
    EXPECT_TRUE(store->add_certificate(make_record(2)));
    auto page = store->list_certificates({});
    ASSERT_TRUE(page);
    EXPECT_EQ(page->items.size(), 2U);
}

// Recording a certificate that is already recorded (a commit retried after
// its answer was lost) succeeds and keeps one row.
TEST_P(StoreContract, TheSameCertificateRecordedTwiceIsOneRow) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add_certificate(make_record(1)));
    EXPECT_TRUE(store->add_certificate(make_record(1)));
    auto page = store->list_certificates({});
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 1U);
    EXPECT_EQ(page->items[0].fingerprint, make_record(1).fingerprint);
}

TEST_P(StoreContract, FiltersAndPaginatesNewestFirst) {
    auto store = open();
    ASSERT_TRUE(store);
    for (int i = 0; i < 7; ++i) {
        ASSERT_TRUE(store->add_certificate(make_record(i, i % 2 == 0 ? "cp-iot" : "cp-corp")));
    }
    CertificateQuery query;
    query.criteria.profile_id = "cp-iot";
    query.limit = 3;
    auto first = store->list_certificates(query);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->items.size(), 3U);
    EXPECT_EQ(first->items[0].common_name, "dev-6");
    ASSERT_TRUE(first->next_cursor);
    query.before_id = *first->next_cursor;
    auto second = store->list_certificates(query);
    ASSERT_TRUE(second);
    ASSERT_EQ(second->items.size(), 1U);
    EXPECT_EQ(second->items[0].common_name, "dev-0");
    EXPECT_FALSE(second->next_cursor);

    CertificateQuery by_cn;
    by_cn.criteria.common_name = "dev-3";
    auto one = store->list_certificates(by_cn);
    ASSERT_TRUE(one);
    ASSERT_EQ(one->items.size(), 1U);
    EXPECT_TRUE(one->items[0].der.empty());  // only when asked for

    CertificateQuery huge;
    huge.limit = 1'000'000;  // bounded by the store
    auto all = store->list_certificates(huge);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->items.size(), 7U);
}

TEST_P(StoreContract, RevokesOnlyWhatMatchesAndOnlyOnce) {
    auto store = open();
    ASSERT_TRUE(store);
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(store->add_certificate(make_record(i, i < 3 ? "cp-iot" : "cp-corp")));
    }
    RevocationRequest request;
    request.criteria.profile_id = "cp-iot";
    request.criteria.source = "EST";
    request.reason = 1;
    request.actor = "ops";
    request.revoked_at = std::chrono::system_clock::now();
    auto revoked = store->revoke(request);
    ASSERT_TRUE(revoked);
    EXPECT_EQ(revoked->size(), 3U);
    auto again = store->revoke(request);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->empty());

    auto entries = store->crl_entries("iss-local", std::chrono::system_clock::now());
    ASSERT_TRUE(entries);
    EXPECT_EQ(entries->size(), 3U);
    auto corp = store->find_by_fingerprint("fp-iss-local-3");
    ASSERT_TRUE(corp && *corp);
    EXPECT_FALSE((*corp)->revocation);
    auto iot = store->find_certificate("iss-local", (*revoked)[0].serial);
    ASSERT_TRUE(iot && *iot && (*iot)->revocation);
    EXPECT_EQ((*iot)->revocation->reason, 1);
    EXPECT_EQ((*iot)->revocation->actor, "ops");

    CertificateQuery revoked_only;
    revoked_only.criteria.state = CertificateState::revoked;
    auto listed = store->list_certificates(revoked_only);
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->items.size(), 3U);

    RevocationRequest by_serial = request;
    by_serial.criteria = {};
    by_serial.criteria.serials = {"0A:10:03"};
    auto serial = store->revoke(by_serial);
    ASSERT_TRUE(serial);
    ASSERT_EQ(serial->size(), 1U);
    EXPECT_EQ((*serial)[0].serial, "0a1003");
}

TEST_P(StoreContract, CrlNumbersOnlyGrowAcrossReopen) {
    std::uint64_t last = 0;
    for (int round = 0; round < 3; ++round) {
        auto store = open();
        ASSERT_TRUE(store);
        for (int i = 0; i < 3; ++i) {
            auto number = store->next_crl_number("iss-local");
            ASSERT_TRUE(number);
            EXPECT_GT(*number, last);
            last = *number;
        }
        auto other = store->next_crl_number("iss-other");
        ASSERT_TRUE(other);
        EXPECT_EQ(*other, static_cast<std::uint64_t>(round + 1));  // per issuer
    }
    EXPECT_EQ(last, 9U);
}

TEST_P(StoreContract, AuditRowsFilterOnEitherActionPrefix) {
    auto store = open();
    ASSERT_TRUE(store);
    const auto now = std::chrono::system_clock::now();
    audit::AuditEvent enroll{"est_simple_enroll_success",
                             "",
                             "iot",
                             "1.2.3.4",
                             "CN=a",
                             "01",
                             "iss-local",
                             "r1",
                             "",
                             "",
                             200};
    audit::AuditEvent failed{"est_auth_failed_basic",
                             "est_simple_enroll_failed",
                             "iot",
                             "",
                             "",
                             "",
                             "",
                             "r2",
                             "",
                             "wrong password",
                             401};
    audit::AuditEvent revoke{"est_bulk_revoke", "", "", "", "", "", "", "r3", "ops", "x", 200};
    for (const auto& e : {enroll, failed, revoke}) {
        ASSERT_TRUE(store->append_audit(e, now));
    }
    ASSERT_TRUE(store->flush());
    AuditQuery query;
    query.action_prefixes = {"est_simple_enroll"};
    auto page = store->list_audit(query);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 2U);
    EXPECT_EQ(page->items[0].event.action, "est_auth_failed_basic");
    EXPECT_EQ(page->items[1].event.action, "est_simple_enroll_success");
    // Several prefixes: a row matching any of them (the console's "All" chip).
    query.action_prefixes = {"est_bulk_revoke", "est_auth_failed"};
    page = store->list_audit(query);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 2U);
    EXPECT_EQ(page->items[0].event.action, "est_bulk_revoke");
    EXPECT_EQ(page->items[1].event.action, "est_auth_failed_basic");
    query.action_prefixes = {"est_"};
    query.actor = "ops";
    page = store->list_audit(query);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 1U);
    EXPECT_EQ(page->items[0].event.reason, "x");
    AuditQuery paged;
    paged.limit = 2;
    page = store->list_audit(paged);
    ASSERT_TRUE(page && page->next_cursor);
    paged.before_id = *page->next_cursor;
    page = store->list_audit(paged);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->items.size(), 1U);
}

// The request ids of the stored audit rows, oldest first.
std::vector<std::string> audit_request_ids(Store& store) {
    EXPECT_TRUE(store.flush());
    AuditQuery query;
    query.limit = kMaxPageSize;
    auto page = store.list_audit(query);
    EXPECT_TRUE(page);
    std::vector<std::string> ids;
    for (const auto& record : page ? page->items : std::vector<AuditRecord>{}) {
        ids.insert(ids.begin(), record.event.request_id);
    }
    return ids;
}

audit::AuditEvent audit_event(const std::string& request_id) {
    audit::AuditEvent event;
    event.action = "est_cacerts_success";
    event.request_id = request_id;
    return event;
}

TEST_P(StoreContract, AuditRowsOlderThanTheRetentionAreDeletedAsNewOnesArrive) {
    const auto now = std::chrono::system_clock::now();
    AuditRetention retention;
    retention.retention = std::chrono::hours(1);
    retention.prune_every = 4;
    retention.prune_batch = 3;
    auto store = open(retention);
    ASSERT_TRUE(store);
    for (const auto* id : {"old1", "old2", "old3", "old4", "old5"}) {
        ASSERT_TRUE(store->append_audit(audit_event(id), now - std::chrono::hours(2)));
    }
    // The 4th append queued a pass: at most 3 rows, the oldest first.
    EXPECT_EQ(audit_request_ids(*store), (std::vector<std::string>{"old4", "old5"}));
    for (const auto* id : {"new1", "new2", "new3"}) {
        ASSERT_TRUE(store->append_audit(audit_event(id), now));
    }
    // The 8th: the rest of the expired rows, none of the new ones.
    EXPECT_EQ(audit_request_ids(*store), (std::vector<std::string>{"new1", "new2", "new3"}));
}

// Far from prune_every rows: the pass comes with the first row appended once
// prune_interval has passed since the last one.
TEST_P(StoreContract, AQuietStorePrunesWithTheFirstRowAfterTheInterval) {
    const auto old = std::chrono::system_clock::now() - std::chrono::hours(2);
    AuditRetention retention;
    retention.retention = std::chrono::hours(1);
    retention.prune_every = 1000;
    retention.prune_interval = std::chrono::seconds(0);
    {
        auto store = open(retention);
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->append_audit(audit_event("old1"), old));
        ASSERT_TRUE(store->append_audit(audit_event("old2"), old));
        EXPECT_TRUE(audit_request_ids(*store).empty());
    }
    // Within the interval of the pass at open, the rows wait.
    retention.prune_interval = std::chrono::hours(1);
    auto store = open(retention);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append_audit(audit_event("old3"), old));
    ASSERT_TRUE(store->append_audit(audit_event("old4"), old));
    EXPECT_EQ(audit_request_ids(*store), (std::vector<std::string>{"old3", "old4"}));
}

TEST_P(StoreContract, AuditRowsAreKeptWithoutARetentionAndPrunedWhenTheStoreOpensWithOne) {
    const auto long_ago = std::chrono::system_clock::now() - std::chrono::hours(24 * 400);
    AuditRetention keep;
    keep.prune_every = 1;
    {
        auto store = open(keep);
        ASSERT_TRUE(store);
        for (const auto* id : {"a", "b", "c"}) {
            ASSERT_TRUE(store->append_audit(audit_event(id), long_ago));
        }
        EXPECT_EQ(audit_request_ids(*store), (std::vector<std::string>{"a", "b", "c"}));
    }
    AuditRetention prune = keep;
    prune.retention = std::chrono::hours(24 * 365);
    auto store = open(prune);
    ASSERT_TRUE(store);
    EXPECT_TRUE(audit_request_ids(*store).empty());
}

TEST_P(StoreContract, ExpiryNoticesArePendingUntilDelivered) {
    auto store = open();
    ASSERT_TRUE(store);
    auto soon = make_record(1);
    soon.not_after = std::chrono::system_clock::now() + 48h;
    ASSERT_TRUE(store->add_certificate(soon));
    ASSERT_TRUE(store->add_certificate(make_record(2)));  // a year left
    const auto now = std::chrono::system_clock::now();
    auto at30 = store->pending_expiry_notices(30, now, 10);
    auto at1 = store->pending_expiry_notices(1, now, 10);
    ASSERT_TRUE(at30 && at1);
    ASSERT_EQ(at30->size(), 1U);
    EXPECT_TRUE(at1->empty());
    ASSERT_TRUE(store->mark_expiry_notice_delivered("iss-local", soon.serial, 30, now));
    ASSERT_TRUE(store->mark_expiry_notice_delivered("iss-local", soon.serial, 30, now));
    at30 = store->pending_expiry_notices(30, now, 10);
    auto at7 = store->pending_expiry_notices(7, now, 10);
    ASSERT_TRUE(at30 && at7);
    EXPECT_TRUE(at30->empty());
    EXPECT_EQ(at7->size(), 1U);
}

class PostgresStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTD_REQUIRE_POSTGRES();
        database_ = "store_pg_" +
                    std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name();
        url_ = SharedPostgres::server()->create_database(database_);
    }
    std::unique_ptr<Store> open(const PostgresOptions& options = {}) {
        auto store = open_postgres_store(url_, options);
        EXPECT_TRUE(store) << (store ? "" : store.error().message);
        return store ? std::move(*store) : nullptr;
    }
    std::string psql(const std::string& sql) {
        auto result = SharedPostgres::server()->psql(database_, sql);
        EXPECT_EQ(result.exit_code, 0) << result.output;
        return result.output;
    }

    std::string database_;
    std::string url_;
};

SqlQuery insert_into_t(std::int64_t value) {
    SqlQuery query(Dialect::postgres, "INSERT INTO t (v) VALUES (");
    query.bind(value).add(")");
    return query;
}

pg::ConnectSettings test_connection(const std::string& url) {
    return pg::ConnectSettings{url, 10s, "SET statement_timeout = 10000"};
}

TEST_F(PostgresStoreTest, EachStatementIsPreparedOncePerConnectionUpToABound) {
    auto raw = pg::connect(test_connection(url_));
    ASSERT_TRUE(raw) << raw.error().message;
    pg::Connection conn(std::move(*raw));
    for (std::int64_t i = 0; i < 3; ++i) {
        SqlQuery echo(Dialect::postgres, "SELECT ");
        echo.bind(i).add("::bigint");
        auto result = conn.execute(echo);
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_EQ(pg::Row(result->get(), 0).integer(0), i);
    }
    // Distinct texts beyond the bound still run, unprepared.
    for (std::size_t i = 0; i < pg::Connection::kMaxPrepared + 6; ++i) {
        SqlQuery sum(Dialect::postgres, "SELECT " + std::to_string(i) + " + ");
        sum.bind(std::int64_t{1}).add("::bigint");
        auto result = conn.execute(sum);
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_EQ(pg::Row(result->get(), 0).integer(0), static_cast<std::int64_t>(i) + 1);
    }
    auto prepared = pg::execute(
        conn.get(), SqlQuery(Dialect::postgres, "SELECT count(*) FROM pg_prepared_statements"));
    ASSERT_TRUE(prepared) << prepared.error().message;
    EXPECT_EQ(pg::Row(prepared->get(), 0).integer(0),
              static_cast<std::int64_t>(pg::Connection::kMaxPrepared));
}

// What a pooler in transaction mode does to prepared statements: the
// session that runs the next statement lacks them (DEALLOCATE), or already
// has one of the name (another client's PREPARE). Either way the statement
// runs, unprepared, and the connection stops preparing.
TEST_F(PostgresStoreTest, StatementsRunUnpreparedWhereTheServerDoesNotKeepThem) {
    const auto count_prepared = [](pg::Connection& conn) {
        auto prepared = pg::execute(
            conn.get(), SqlQuery(Dialect::postgres, "SELECT count(*) FROM pg_prepared_statements"));
        EXPECT_TRUE(prepared) << prepared.error().message;
        return prepared ? pg::Row(prepared->get(), 0).integer(0) : -1;
    };
    SqlQuery echo(Dialect::postgres, "SELECT ");
    echo.bind(std::int64_t{7}).add("::bigint");

    auto raw = pg::connect(test_connection(url_));
    ASSERT_TRUE(raw) << raw.error().message;
    pg::Connection forgetting(std::move(*raw));
    ASSERT_TRUE(forgetting.execute(echo));
    ASSERT_EQ(count_prepared(forgetting), 1);
    ASSERT_TRUE(pg::execute(forgetting.get(), "DEALLOCATE ALL"));
    auto again = forgetting.execute(echo);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(pg::Row(again->get(), 0).integer(0), 7);
    ASSERT_TRUE(forgetting.execute(echo));
    EXPECT_EQ(count_prepared(forgetting), 0) << "preparing is off";

    raw = pg::connect(test_connection(url_));
    ASSERT_TRUE(raw) << raw.error().message;
    pg::Connection taken(std::move(*raw));
    ASSERT_TRUE(pg::execute(taken.get(), "PREPARE estd_1 AS SELECT 1"));
    auto first = taken.execute(echo);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(pg::Row(first->get(), 0).integer(0), 7);
    EXPECT_EQ(count_prepared(taken), 1) << "only the session's own statement";
}

TEST_F(PostgresStoreTest, APipelineIsOneTransactionThatFailsWhole) {
    psql("CREATE TABLE t (v integer PRIMARY KEY)");
    auto raw = pg::connect(test_connection(url_));
    ASSERT_TRUE(raw) << raw.error().message;
    pg::Connection conn(std::move(*raw));
    std::vector<SqlQuery> batch;
    for (std::int64_t v = 0; v < 20; ++v) {
        batch.push_back(insert_into_t(v));
    }
    ASSERT_TRUE(conn.execute_all(batch));
    EXPECT_EQ(psql("SELECT count(*), count(DISTINCT xmin::text) FROM t"), "20|1\n")
        << "twenty rows, one transaction";

    batch.clear();
    for (std::int64_t v : {100, 101, 5, 102}) {  // 5 is there already
        batch.push_back(insert_into_t(v));
    }
    const auto failed = conn.execute_all(batch);
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("duplicate key"), std::string::npos)
        << failed.error().message;
    EXPECT_EQ(psql("SELECT count(*) FROM t"), "20\n") << "none of the failed pipeline committed";

    EXPECT_EQ(PQpipelineStatus(conn.get()), PQ_PIPELINE_OFF);
    EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_IDLE);
    EXPECT_TRUE(conn.execute(insert_into_t(200))) << "the connection serves on";
}

TEST_F(PostgresStoreTest, QueuedStatementsRunTogetherAndAFailingOneAlone) {
    psql("CREATE TABLE t (v integer PRIMARY KEY)");
    pg::Pool pool(test_connection(url_), 1, 5s);
    pg::StatementQueue queue(pool, 1000);
    // While the writer sleeps, the inserts queue up behind it.
    const auto queue_behind_a_sleep = [&](const std::vector<std::int64_t>& values) {
        ASSERT_TRUE(queue.post(SqlQuery(Dialect::postgres, "SELECT pg_sleep(0.5)")));
        std::this_thread::sleep_for(100ms);
        for (auto v : values) {
            ASSERT_TRUE(queue.post(insert_into_t(v)));
        }
        queue.flush();
    };
    std::vector<std::int64_t> values;
    for (std::int64_t v = 0; v < 30; ++v) {
        values.push_back(v);
    }
    queue_behind_a_sleep(values);
    EXPECT_EQ(psql("SELECT count(*), count(DISTINCT xmin::text) FROM t"), "30|1\n")
        << "thirty queued rows, one transaction";

    values = {100, 101, 102, 7, 103, 104};  // 7 is there already
    queue_behind_a_sleep(values);
    EXPECT_EQ(psql("SELECT count(*) FROM t WHERE v >= 100"), "5\n")
        << "only the failing statement is lost";
}

// A submitted statement's caller is told once the transaction it shares
// with the statements queued beside it has committed; a statement that
// fails on its own is the only one told it failed; a full queue says so at
// once.
TEST_F(PostgresStoreTest, SubmittedStatementsAreToldOnceTheirTransactionCommitted) {
    psql("CREATE TABLE t (v integer PRIMARY KEY)");
    pg::Pool pool(test_connection(url_), 1, 5s);
    pg::StatementQueue queue(pool, 1000);
    auto observer = pg::connect(test_connection(url_));
    ASSERT_TRUE(observer) << observer.error().message;
    const auto committed_rows = [&] {
        auto result =
            pg::execute(observer->get(), SqlQuery(Dialect::postgres, "SELECT count(*) FROM t"));
        return result ? pg::Row(result->get(), 0).integer(0) : -1;
    };
    struct Told {
        std::int64_t value;
        std::string error;                  // empty: committed
        std::int64_t rows_seen_by_another;  // when told
    };
    std::vector<Told> told;  // the queue's thread alone writes it until flush
    const auto submit_behind_a_sleep = [&](const std::vector<std::int64_t>& values) {
        told.clear();
        ASSERT_TRUE(queue.post(SqlQuery(Dialect::postgres, "SELECT pg_sleep(0.5)")));
        std::this_thread::sleep_for(100ms);
        for (auto v : values) {
            queue.submit(insert_into_t(v), [&, v](Status status) {
                told.push_back({v, status ? "" : status.error().message, committed_rows()});
            });
        }
        queue.flush();
        ASSERT_EQ(told.size(), values.size());
    };

    submit_behind_a_sleep({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    for (const auto& each : told) {
        EXPECT_EQ(each.error, "") << each.value;
        EXPECT_EQ(each.rows_seen_by_another, 10) << "told before its row was committed";
    }
    EXPECT_EQ(psql("SELECT count(DISTINCT xmin::text) FROM t"), "1\n") << "one transaction";

    submit_behind_a_sleep({100, 101, 5, 102});  // 5 is there already
    for (const auto& each : told) {
        if (each.value == 5) {
            EXPECT_NE(each.error.find("duplicate key"), std::string::npos) << each.error;
        } else {
            EXPECT_EQ(each.error, "") << each.value;
        }
    }
    EXPECT_EQ(psql("SELECT count(*) FROM t WHERE v >= 100"), "3\n");

    pg::StatementQueue small(pool, 1);
    ASSERT_TRUE(small.post(SqlQuery(Dialect::postgres, "SELECT pg_sleep(0.5)")));
    std::this_thread::sleep_for(100ms);  // taken: the queue is empty again
    ASSERT_TRUE(small.post(insert_into_t(200)));
    std::optional<Status> refused;
    small.submit(insert_into_t(201), [&](Status status) { refused = std::move(status); });
    ASSERT_TRUE(refused.has_value()) << "told at once, before submit returned";
    ASSERT_FALSE(*refused);
    EXPECT_EQ(refused->error().kind, ErrorKind::unavailable);
}

// Posted statements wait up to the window for company and go together; a
// flush or a submitted statement does not wait it out.
TEST_F(PostgresStoreTest, PostedStatementsWaitForCompanyUnlessSomeoneWaits) {
    psql("CREATE TABLE t (v integer PRIMARY KEY)");
    pg::Pool pool(test_connection(url_), 1, 5s);
    pg::StatementQueue queue(pool, 1000, 3s);
    const auto elapsed_since = [](std::chrono::steady_clock::time_point start) {
        return std::chrono::steady_clock::now() - start;
    };

    auto start = std::chrono::steady_clock::now();
    for (std::int64_t v = 0; v < 5; ++v) {
        ASSERT_TRUE(queue.post(insert_into_t(v)));
    }
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(psql("SELECT count(*) FROM t"), "0\n") << "sent before the window closed";
    queue.flush();
    EXPECT_LT(elapsed_since(start), 2s) << "the flush waited out the window";
    EXPECT_EQ(psql("SELECT count(*), count(DISTINCT xmin::text) FROM t"), "5|1\n");

    start = std::chrono::steady_clock::now();
    ASSERT_TRUE(queue.post(insert_into_t(10)));
    std::promise<Status> told;
    queue.submit(insert_into_t(11), [&](Status status) { told.set_value(std::move(status)); });
    auto outcome = told.get_future();
    ASSERT_EQ(outcome.wait_for(2s), std::future_status::ready) << "waited out the window";
    EXPECT_TRUE(outcome.get());
    EXPECT_EQ(psql("SELECT count(DISTINCT xmin::text) FROM t WHERE v >= 10"), "1\n");
}

// With no connection to be had, a batch fails at once, whole: trying its
// statements one by one would make each wait out the pool's timeout.
TEST_F(PostgresStoreTest, ABatchWithoutAConnectionFailsWholeAtOnce) {
    psql("CREATE TABLE t (v integer PRIMARY KEY)");
    pg::Pool pool(test_connection(url_), 1, 500ms);
    std::thread holder([&] {  // the pool's only connection, for 2.5 s
        EXPECT_TRUE(
            pool.run(SqlQuery(Dialect::postgres, "SELECT pg_sleep(2.5)"), [](const pg::Row&) {}));
    });
    std::this_thread::sleep_for(300ms);
    pg::StatementQueue queue(pool, 1000);
    std::mutex mutex;
    std::vector<Status> told;
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t v = 0; v < 5; ++v) {
        queue.submit(insert_into_t(v), [&](Status status) {
            std::lock_guard lock(mutex);
            told.push_back(std::move(status));
        });
    }
    // The first batch waits 0.5 s for the connection, the rest (queued
    // meanwhile) 0.5 s more; one by one they would take 0.5 s each.
    std::this_thread::sleep_for(1500ms);
    {
        std::lock_guard lock(mutex);
        ASSERT_EQ(told.size(), 5U) << "after "
                                   << std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - start)
                                          .count()
                                   << " ms";
        for (const auto& status : told) {
            ASSERT_FALSE(status);
            EXPECT_EQ(status.error().kind, ErrorKind::unavailable) << status.error().message;
        }
    }
    holder.join();
}

// The store's own thread commits an enrollment's row and then calls back:
// the caller does not wait for the database, and is told only once the row
// is there for every reader (or that it could not be written).
TEST_F(PostgresStoreTest, AnEnrollmentsRowIsCommittedWithoutTheCallerWaiting) {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->commits_without_waiting());
    std::thread locker(
        [&] { psql("BEGIN; LOCK TABLE certificates IN EXCLUSIVE MODE; SELECT pg_sleep(1.5)"); });
    const std::string lock_held =
        "SELECT count(*) FROM pg_locks WHERE relation = 'certificates'::regclass AND mode = "
        "'ExclusiveLock' AND granted";
    for (int i = 0; i < 100 && psql(lock_held) != "1\n"; ++i) {
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(psql(lock_held), "1\n");

    std::promise<Status> told;
    auto outcome = told.get_future();
    const auto start = std::chrono::steady_clock::now();
    store->add_certificate_then(make_record(1),
                                [&](Status status) { told.set_value(std::move(status)); });
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms) << "the caller waited";
    EXPECT_EQ(outcome.wait_for(0s), std::future_status::timeout)
        << "told while the lock kept the row out";
    ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
    EXPECT_TRUE(outcome.get());
    locker.join();
    auto found = store->find_certificate("iss-local", "0a1001");
    ASSERT_TRUE(found && *found);

    SharedPostgres::server()->allow_connections(database_, false);
    std::promise<Status> refused;
    store->add_certificate_then(make_record(2),
                                [&](Status status) { refused.set_value(std::move(status)); });
    auto failed = refused.get_future().get();
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("PostgreSQL"), std::string::npos)
        << failed.error().message;
    SharedPostgres::server()->allow_connections(database_, true);
}

TEST_F(PostgresStoreTest, SeveralEstdStartingTogetherMigrateOnce) {
    constexpr int kReplicas = 4;
    std::vector<std::unique_ptr<Store>> stores(kReplicas);
    std::vector<std::thread> threads;
    for (int i = 0; i < kReplicas; ++i) {
        threads.emplace_back([&, i] { stores[i] = open(); });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const auto& store : stores) {
        ASSERT_TRUE(store);
    }
    EXPECT_EQ(psql("SELECT version FROM estd_schema"),
              std::to_string(postgres_schema_version()) + "\n");
    ASSERT_TRUE(stores[0]->add_certificate(make_record(1)));
    auto seen = stores[3]->find_certificate("iss-local", "0a1001");
    ASSERT_TRUE(seen && *seen);
    EXPECT_EQ((*seen)->der, make_record(1).der);
}

TEST_F(PostgresStoreTest, RefusesADatabaseFromANewerSchema) {
    { ASSERT_TRUE(open()); }
    psql("UPDATE estd_schema SET version = " + std::to_string(postgres_schema_version() + 1));
    auto store = open_postgres_store(url_);
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().message.find("newer estd"), std::string::npos) << store.error().message;
}

// CERTCTL_DATABASE_MAX_CONNECTIONS: however many callers, no more
// connections than that (the others wait for one).
TEST_F(PostgresStoreTest, NoMoreConnectionsThanTheBound) {
    PostgresOptions options;
    options.connections = 2;
    auto store = open(options);
    ASSERT_TRUE(store);
    std::atomic<int> written{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                written += store->add_certificate(make_record(t * 100 + i)) ? 1 : 0;
            }
        });
    }
    for (auto& writer : writers) {
        writer.join();
    }
    EXPECT_EQ(written.load(), 80);
    EXPECT_EQ(psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND application_name = 'estd'"),
              "2\n");
}

TEST_F(PostgresStoreTest, ReplicasSharingTheDatabaseNeverRepeatACrlNumber) {
    auto a = open();
    auto b = open();
    ASSERT_TRUE(a && b);
    std::vector<std::uint64_t> numbers[2];
    std::thread ta([&] {
        for (int i = 0; i < 50; ++i) {
            auto n = a->next_crl_number("iss-local");
            numbers[0].push_back(n ? *n : 0);
        }
    });
    std::thread tb([&] {
        for (int i = 0; i < 50; ++i) {
            auto n = b->next_crl_number("iss-local");
            numbers[1].push_back(n ? *n : 0);
        }
    });
    ta.join();
    tb.join();
    std::set<std::uint64_t> all(numbers[0].begin(), numbers[0].end());
    all.insert(numbers[1].begin(), numbers[1].end());
    EXPECT_EQ(all.size(), 100U);
    EXPECT_EQ(*all.begin(), 1U);
    EXPECT_EQ(*all.rbegin(), 100U);
    EXPECT_TRUE(std::is_sorted(numbers[0].begin(), numbers[0].end()));
}

// The server drops every connection (a restart, a failover): the next
// statement still succeeds, although the pool held several dead ones.
TEST_F(PostgresStoreTest, ConnectionsTheServerDroppedAreReplaced) {
    PostgresOptions options;
    options.connections = 4;
    auto store = open(options);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add_certificate(make_record(1)));
    std::vector<std::thread> readers;
    for (int i = 0; i < 8; ++i) {
        readers.emplace_back([&] {
            for (int j = 0; j < 20; ++j) {
                EXPECT_TRUE(store->list_certificates({}));
            }
        });
    }
    for (auto& reader : readers) {
        reader.join();
    }
    const std::string others =
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND application_name = 'estd'";
    ASSERT_NE(psql("SELECT count(*) " + others), "1\n") << "the pool never held two connections";
    psql("SELECT pg_terminate_backend(pid) " + others);
    EXPECT_TRUE(store->add_certificate(make_record(2)));
    auto page = store->list_certificates({});
    ASSERT_TRUE(page);
    EXPECT_EQ(page->items.size(), 2U);
}

// A caller (an I/O thread auditing a cacerts answer) never waits on the
// database for an audit row: it is queued even while the database refuses
// connections; that row is lost to the store (audit.log has it), the ones
// after the database is back arrive.
TEST_F(PostgresStoreTest, AuditRowsAreQueuedSoNoCallerWaitsOnTheDatabase) {
    auto store = open();
    ASSERT_TRUE(store);
    SharedPostgres::server()->allow_connections(database_, false);
    EXPECT_TRUE(store->append_audit(audit_event("while-down"), std::chrono::system_clock::now()));
    EXPECT_TRUE(store->flush());
    EXPECT_FALSE(store->list_audit({}));
    SharedPostgres::server()->allow_connections(database_, true);
    std::this_thread::sleep_for(1100ms);  // the pool tries to connect again after a second
    EXPECT_TRUE(store->append_audit(audit_event("after"), std::chrono::system_clock::now()));
    EXPECT_EQ(audit_request_ids(*store), std::vector<std::string>{"after"});
}

// While the database refuses connections, a caller that needs one fails at
// once with the last attempt's error for a second, rather than each waiting
// for its own attempt.
TEST_F(PostgresStoreTest, WhileTheDatabaseRefusesConnectionsCallersFailFast) {
    auto store = open();
    ASSERT_TRUE(store);
    SharedPostgres::server()->allow_connections(database_, false);
    auto tried = store->list_certificates({});
    ASSERT_FALSE(tried);
    EXPECT_NE(tried.error().message.find("connection failed"), std::string::npos)
        << tried.error().message;
    auto held = store->list_certificates({});
    ASSERT_FALSE(held);
    EXPECT_NE(held.error().message.find("not tried again yet"), std::string::npos)
        << held.error().message;
    SharedPostgres::server()->allow_connections(database_, true);
    std::this_thread::sleep_for(1100ms);
    EXPECT_TRUE(store->list_certificates({}));
}

TEST_F(PostgresStoreTest, AnUnreachableServerIsAnErrorThatNamesItButNotThePassword) {
    PostgresOptions options;
    options.connect_timeout = std::chrono::seconds(2);
    auto store = open_postgres_store("postgresql://estd:s3cret-pw@127.0.0.1:1/estd", options);
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().message.find("127.0.0.1"), std::string::npos) << store.error().message;
    EXPECT_EQ(store.error().message.find("s3cret-pw"), std::string::npos);
    auto wrong = open_postgres_store(
        "postgresql://estd:wrong-pw@127.0.0.1:" + std::to_string(SharedPostgres::server()->port()) +
        "/" + database_);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("password authentication failed"), std::string::npos)
        << wrong.error().message;
    EXPECT_EQ(wrong.error().message.find("wrong-pw"), std::string::npos);
}

auth::SharedLimit basic_lockout(Store& store, const std::string& profile) {
    return auth::SharedLimit(*store.shared_counts(), CountedEvent::failed_basic, profile, 10, 1h);
}

// Two stores on one database stand for two estd: failures counted on
// either lock the source out on both; other sources and profiles are apart.
TEST_F(PostgresStoreTest, TwoEstdShareTheFailedBasicLockout) {
    auto here = open();
    auto there = open();
    ASSERT_TRUE(here && there);
    const auto lockout_here = basic_lockout(*here, "corp");
    const auto lockout_there = basic_lockout(*there, "corp");
    for (int i = 0; i < 5; ++i) {
        lockout_here.count("192.0.2.7");
        lockout_there.count("192.0.2.7");
    }
    const auto wait = lockout_here.wait("192.0.2.7");
    ASSERT_TRUE(wait);
    EXPECT_GT(*wait, 58min);
    EXPECT_TRUE(lockout_there.wait("192.0.2.7"));
    EXPECT_FALSE(lockout_here.wait("192.0.2.8"));
    EXPECT_FALSE(basic_lockout(*here, "iot").wait("192.0.2.7"));
    // A row per source and step (a minute), not per failure.
    EXPECT_EQ(psql("SELECT count(*) <= 2 FROM basic_failures"), "t\n");
}

// The per-principal rate limit on two estd: a third enrollment of the same
// principal is refused on either, by a count of its own (a failed Basic
// count under the same key and profile does not touch it).
TEST_F(PostgresStoreTest, TwoEstdSharePerPrincipalCountsApartFromTheLockout) {
    auto here = open();
    auto there = open();
    ASSERT_TRUE(here && there);
    const auth::SharedLimit limit_here(*here->shared_counts(), CountedEvent::principal_enrollment,
                                       "corp", 2, 24h);
    const auth::SharedLimit limit_there(*there->shared_counts(), CountedEvent::principal_enrollment,
                                        "corp", 2, 24h);
    for (int i = 0; i < 3; ++i) {
        basic_lockout(*here, "corp").count("192.0.2.7");
    }
    EXPECT_FALSE(limit_here.wait("192.0.2.7")) << "failed Basic attempts are another count";
    const std::string device = auth::principal_key("device-1", "192.0.2.7");  // holds a NUL
    EXPECT_FALSE(limit_here.wait(device));
    limit_here.count(device);
    EXPECT_FALSE(limit_there.wait(device));
    limit_there.count(device);
    const auto wait = limit_here.wait(device);
    ASSERT_TRUE(wait);
    EXPECT_GT(*wait, 23h);
    EXPECT_TRUE(limit_there.wait(device));
    EXPECT_FALSE(limit_here.wait(auth::principal_key("device-2", "192.0.2.7")));
    EXPECT_EQ(psql("SELECT sum(enrollments) FROM principal_enrollments"), "2\n");
}

TEST_F(PostgresStoreTest, CountsOlderThanTheWindowAreDeleted) {
    auto store = open();
    ASSERT_TRUE(store);
    auto* counts = store->shared_counts();
    ASSERT_NE(counts, nullptr);
    const auto now = std::chrono::system_clock::now();
    const auto expired_rows = [&](const char* table) {
        return psql(std::string("SELECT count(*) FROM ") + table + " WHERE step_start < " +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                       (now - 1h).time_since_epoch())
                                       .count()));
    };
    for (const auto event : {CountedEvent::failed_basic, CountedEvent::principal_enrollment}) {
        for (int i = 0; i < 256; ++i) {
            const auto step = i == 0 ? now - 2h : now;
            ASSERT_TRUE(counts->count(event, "corp", "198.51.100." + std::to_string(i % 3), step,
                                      now - 1h));
        }
        auto recent = counts->counted(event, "corp", "198.51.100.1", now - 1h);
        ASSERT_TRUE(recent);
        ASSERT_EQ(recent->size(), 1U);
        EXPECT_EQ((*recent)[0].count, 85U);
    }
    // The 256th count of each kind deleted its expired step.
    EXPECT_EQ(expired_rows("basic_failures"), "0\n");
    EXPECT_EQ(expired_rows("principal_enrollments"), "0\n");
}

TEST_F(PostgresStoreTest, TheEmbeddedStoreSharesNoCounts) {
    test::TempDir dir;
    auto embedded = open_sqlite_store(dir.path() / "estd.db");
    ASSERT_TRUE(embedded);
    EXPECT_EQ((*embedded)->shared_counts(), nullptr);
}

TEST(PostgresUrls, AreDescribedWithoutTheirPassword) {
    EXPECT_EQ(describe_postgres_url("postgresql://estd:hunter2@db.example:5433/pki"),
              "estd@db.example:5433/pki");
    EXPECT_EQ(describe_postgres_url("host=db user=ca password=hunter2 dbname=pki"), "ca@db/pki");
    EXPECT_EQ(describe_postgres_url("postgresql://db/pki?password=hunter2"), "db/pki");
    EXPECT_FALSE(describe_postgres_url("postgresql://%zz:hunter2@db"));
    EXPECT_FALSE(describe_postgres_url("sqlite:///var/lib/estd/estd.db"));
}

TEST(StoreSerials, AreNormalised) {
    EXPECT_EQ(normalize_serial("0A:1B"), "0a1b");
    EXPECT_EQ(normalize_serial("a1b"), "0a1b");
    EXPECT_EQ(normalize_serial("000a1b"), "0a1b");
    EXPECT_EQ(normalize_serial("0"), "0");
    EXPECT_EQ(normalize_serial("3DA7"), "3da7");
}

}  // namespace
}  // namespace estd::store
