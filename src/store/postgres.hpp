#pragma once

// Private to src/store: RAII over libpq, a bounded connection pool, and
// statements run with their parameters (SqlQuery).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <libpq-fe.h>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "completion.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"
#include "sql_query.hpp"

namespace estd::store::pg {

struct ConnectionCloser {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using ConnectionPtr = std::unique_ptr<PGconn, ConnectionCloser>;

struct ResultClearer {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// One row of a result, read as queries::read_* expect.
class Row {
  public:
    Row(const PGresult* result, int row) : result_(result), row_(row) {}
    std::string text(int column) const;
    std::int64_t integer(int column) const;
    pki::Bytes blob(int column) const;  // a bytea column
    bool is_null(int column) const;

  private:
    const PGresult* result_;
    int row_;
};

// Runs one statement with its parameters (text, except blobs).
Result<ResultPtr> execute(PGconn* conn, const SqlQuery& query);
// Runs SQL without parameters (session settings, migrations).
Status execute(PGconn* conn, const std::string& sql);

// A pooled connection and the statements prepared on it: parsing and
// planning an INSERT cost the server more than running it, so each SQL text
// is prepared once per connection (up to kMaxPrepared texts; beyond, such as
// an IN list of unusual length, a statement runs unprepared). Behind a
// pooler that does not keep prepared statements (PgBouncer in transaction
// mode), the first statement found missing or already taken turns
// preparing off for the connection and runs unprepared.
class Connection {
  public:
    static constexpr std::size_t kMaxPrepared = 64;

    explicit Connection(ConnectionPtr conn) : conn_(std::move(conn)) {}
    PGconn* get() const { return conn_.get(); }

    Result<ResultPtr> execute(const SqlQuery& query);
    // Runs the statements in one round trip (a pipeline) and one transaction:
    // all of them commit, or none does. Their results must be small (no
    // rows): the pipeline is sent before any result is read.
    Status execute_all(const std::vector<SqlQuery>& queries);

  private:
    // The name `query` is prepared under (preparing it now if need be), or
    // an empty name to run it unprepared.
    Result<std::string> prepared_name(const SqlQuery& query);
    void stop_preparing();
    Status collect_pipeline(std::size_t statements);

    ConnectionPtr conn_;
    std::unordered_map<std::string, std::string> prepared_;
    bool preparing_ = true;
};

struct ConnectSettings {
    std::string url;
    std::chrono::seconds connect_timeout{10};
    // Run on every new connection (SET ...).
    std::string session_sql;
};

Result<ConnectionPtr> connect(const ConnectSettings& settings);

// At most `size` connections, opened when first needed. A connection the
// server dropped is closed, with every idle one, and replaced on the next
// use, so a database restart costs the callers in flight at that moment,
// not every later one. For a second after a connection attempt failed, a
// caller that needs a new connection fails at once with that attempt's
// error instead of waiting out another connect_timeout: while the database
// is unreachable, requests fail fast and worker threads stay free.
class Pool {
  public:
    Pool(ConnectSettings settings, std::size_t size, std::chrono::milliseconds acquire_timeout);
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // Runs `query` and hands each row to on_row. A statement whose
    // connection turned out to be lost is run once more on a new one; every
    // statement here is safe to repeat (a repeated certificate finds its
    // row recorded, a repeated audit row is a duplicate, a revoke skips what
    // is revoked, a CRL number may skip one).
    template <class OnRow>
    Status run(const SqlQuery& query, OnRow&& on_row) {
        return with_connection([&](Connection& conn) -> Status {
            auto result = conn.execute(query);
            if (!result) {
                return std::move(result).take_error();
            }
            for (int row = 0; row < PQntuples(result->get()); ++row) {
                on_row(Row(result->get(), row));
            }
            return Ok{};
        });
    }
    // Connection::execute_all on a pooled connection, run once more as run()
    // is (a repeated audit row is a duplicate, not a loss).
    Status run_all(const std::vector<SqlQuery>& queries) {
        return with_connection([&](Connection& conn) { return conn.execute_all(queries); });
    }

  private:
    using ConnectionBox = std::unique_ptr<Connection>;

    class Lease {
      public:
        Lease(Pool& pool, ConnectionBox conn) : pool_(&pool), conn_(std::move(conn)) {}
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        Connection& connection() const { return *conn_; }

      private:
        Pool* pool_;
        ConnectionBox conn_;
    };

    template <class Use>
    Status with_connection(Use&& use) {
        for (int attempt = 0;; ++attempt) {
            auto lease = acquire();
            if (!lease) {
                return std::move(lease).take_error();
            }
            auto status = use(lease->connection());
            if (status || attempt > 0 || PQstatus(lease->connection().get()) != CONNECTION_BAD) {
                return status;
            }
        }
    }

    Result<Lease> acquire();
    void give_back(ConnectionBox conn);

    const ConnectSettings settings_;
    const std::size_t size_;
    const std::chrono::milliseconds acquire_timeout_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<ConnectionBox> idle_;
    std::size_t open_ = 0;  // idle, leased or being connected
    std::chrono::steady_clock::time_point last_failed_connect_{};
    std::string last_connect_error_;
};

// Statements run in order on a thread of their own, so the caller never
// waits on the network: an I/O thread that audits a cacerts answer must not
// stall on the database, nor one whose enrollment's row is being committed.
// What queued meanwhile runs together, up to kMaxBatch statements in one
// pipeline and transaction (one commit, one WAL flush on the server, for
// them all); when the database refuses that, they run one by one, so a
// statement that fails on its own is the only one lost (when no connection
// can be had, they all fail at once instead). Bounded: beyond `max_queued` a statement
// is refused at once. A posted statement nobody waits for waits up to
// `post_window` for company, so a stream of audit rows costs a round trip
// and a transaction per window, not per row; a submitted one, a flush or a
// full batch sends at once. A failing posted statement is logged (the first
// of a run of failures, then how many failed once one succeeds again), not
// retried; a submitted one's caller is told.
class StatementQueue {
  public:
    // Told a submitted statement's outcome once its transaction committed
    // (durable on a synchronous_commit session) or failed.
    using Done = Completion;

    StatementQueue(Pool& pool, std::size_t max_queued,
                   std::chrono::milliseconds post_window = std::chrono::milliseconds(0));
    // Runs what is queued, then stops.
    ~StatementQueue();
    StatementQueue(const StatementQueue&) = delete;
    StatementQueue& operator=(const StatementQueue&) = delete;

    Status post(SqlQuery query);
    // As post, and `done` is called with the statement's outcome on the
    // queue's thread (or at once, when it cannot be queued). It must be
    // short and must not wait on this queue.
    void submit(SqlQuery query, Done done);
    // Waits until every statement queued before has run.
    void flush();

    static constexpr std::size_t kMaxBatch = 256;

  private:
    struct Item {
        SqlQuery query;
        Done done;  // empty for a posted statement
    };
    // Taken from the queue together; kept apart because the pipeline wants
    // the statements alone.
    struct Batch {
        std::vector<SqlQuery> queries;
        std::vector<Done> dones;
    };

    // Moves `item` into the queue, or leaves it as it was and says why not.
    Status enqueue(Item& item);
    void loop();
    void run(const Batch& batch);
    void finish(const Done& done, Status status);
    void count(const Status& status);

    Pool& pool_;
    const std::size_t max_queued_;
    const std::chrono::milliseconds post_window_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable drained_;
    std::deque<Item> queue_;
    std::size_t waited_for_ = 0;  // queued submitted statements
    std::size_t flushing_ = 0;    // callers waiting in flush()
    std::uint64_t posted_ = 0;
    std::uint64_t done_ = 0;
    bool stopping_ = false;
    std::uint64_t failing_ = 0;  // failures since the last success (the loop's only)
    std::thread thread_;
};

}  // namespace estd::store::pg
