#include "postgres.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <variant>

#include <spdlog/spdlog.h>

namespace estd::store::pg {
namespace {

constexpr std::chrono::seconds kConnectBackoff{1};

Error postgres_error(std::string_view what, const char* detail) {
    std::string text = detail != nullptr ? detail : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return Error::internal("store: PostgreSQL " + std::string(what) + ": " + text);
}

struct FreeMemory {
    void operator()(unsigned char* bytes) const noexcept { PQfreemem(bytes); }
};

}  // namespace

std::string Row::text(int column) const {
    return std::string(PQgetvalue(result_, row_, column),
                       static_cast<std::size_t>(PQgetlength(result_, row_, column)));
}

std::int64_t Row::integer(int column) const {
    const char* value = PQgetvalue(result_, row_, column);
    std::int64_t number = 0;
    std::from_chars(value, value + PQgetlength(result_, row_, column), number);
    return number;
}

pki::Bytes Row::blob(int column) const {
    std::size_t size = 0;
    std::unique_ptr<unsigned char, FreeMemory> bytes(PQunescapeBytea(
        reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row_, column)), &size));
    return bytes ? pki::Bytes(bytes.get(), bytes.get() + size) : pki::Bytes();
}

bool Row::is_null(int column) const {
    return PQgetisnull(result_, row_, column) != 0;
}

namespace {

// A query's parameters as libpq takes them: text, except blobs (binary).
class Parameters {
  public:
    static Result<Parameters> of(const SqlQuery& query) {
        const auto& args = query.args();
        Parameters params;
        params.texts_.resize(args.size());
        params.values_.assign(args.size(), nullptr);
        params.lengths_.assign(args.size(), 0);
        params.formats_.assign(args.size(), 0);
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (const auto* text = std::get_if<std::string>(&args[i])) {
                // Text parameters end at their first NUL; refuse rather than cut.
                if (text->find('\0') != std::string::npos) {
                    return Error::internal("store: a text value holds a NUL byte");
                }
                params.values_[i] = text->c_str();
            } else if (const auto* number = std::get_if<std::int64_t>(&args[i])) {
                params.texts_[i] = std::to_string(*number);
                params.values_[i] = params.texts_[i].c_str();
            } else if (const auto* bytes = std::get_if<pki::Bytes>(&args[i])) {
                params.values_[i] = reinterpret_cast<const char*>(bytes->data());
                params.lengths_[i] = static_cast<int>(bytes->size());
                params.formats_[i] = 1;
            }
        }
        return params;
    }

    int count() const { return static_cast<int>(values_.size()); }
    const char* const* values() const { return values_.data(); }
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

  private:
    // Moving the vectors keeps their elements where they are, so values_
    // stays valid when a Parameters is moved.
    std::vector<std::string> texts_;
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
};

bool succeeded(const PGresult* result) {
    const auto status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

Result<ResultPtr> checked(PGconn* conn, ResultPtr result) {
    if (!succeeded(result.get())) {
        return postgres_error("statement failed",
                              result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn));
    }
    return result;
}

}  // namespace

Result<ResultPtr> execute(PGconn* conn, const SqlQuery& query) {
    auto params = Parameters::of(query);
    if (!params) {
        return std::move(params).take_error();
    }
    return checked(
        conn, ResultPtr(PQexecParams(conn, query.sql().c_str(), params->count(), nullptr,
                                     params->values(), params->lengths(), params->formats(), 0)));
}

Status execute(PGconn* conn, const std::string& sql) {
    auto result = checked(conn, ResultPtr(PQexec(conn, sql.c_str())));
    if (!result) {
        return std::move(result).take_error();
    }
    return Ok{};
}

namespace {

// A server session that does not keep what this connection prepared: a
// pooler in transaction mode (PgBouncer) hands each transaction another one.
bool lost_prepared_statements(const PGresult* result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string_view code = state != nullptr ? state : "";
    return code == "26000" || code == "42P05";  // no such statement; already exists
}

}  // namespace

void Connection::stop_preparing() {
    if (preparing_) {
        spdlog::warn(
            "store: the PostgreSQL server did not keep a prepared statement (a "
            "connection pooler in transaction mode?); this connection runs its "
            "statements unprepared from now on");
    }
    preparing_ = false;
    prepared_.clear();
}

Result<std::string> Connection::prepared_name(const SqlQuery& query) {
    if (auto found = prepared_.find(query.sql()); found != prepared_.end()) {
        return found->second;
    }
    if (!preparing_ || prepared_.size() >= kMaxPrepared) {
        return std::string();
    }
    std::string name = "estd_" + std::to_string(prepared_.size() + 1);
    ResultPtr prepared(PQprepare(conn_.get(), name.c_str(), query.sql().c_str(),
                                 static_cast<int>(query.args().size()), nullptr));
    if (!succeeded(prepared.get()) && prepared && lost_prepared_statements(prepared.get())) {
        stop_preparing();
        return std::string();
    }
    if (auto checked_prepare = checked(conn_.get(), std::move(prepared)); !checked_prepare) {
        return std::move(checked_prepare).take_error();
    }
    prepared_.emplace(query.sql(), name);
    return name;
}

Result<ResultPtr> Connection::execute(const SqlQuery& query) {
    auto name = prepared_name(query);
    if (!name) {
        return std::move(name).take_error();
    }
    if (name->empty()) {
        return pg::execute(conn_.get(), query);
    }
    auto params = Parameters::of(query);
    if (!params) {
        return std::move(params).take_error();
    }
    ResultPtr result(PQexecPrepared(conn_.get(), name->c_str(), params->count(), params->values(),
                                    params->lengths(), params->formats(), 0));
    if (!succeeded(result.get()) && result && lost_prepared_statements(result.get())) {
        stop_preparing();
        return pg::execute(conn_.get(), query);
    }
    return checked(conn_.get(), std::move(result));
}

Status Connection::execute_all(const std::vector<SqlQuery>& queries) {
    PGconn* conn = conn_.get();
    std::vector<Parameters> params;
    std::vector<std::string> names;
    for (const auto& query : queries) {
        auto these = Parameters::of(query);
        if (!these) {
            return std::move(these).take_error();
        }
        auto name = prepared_name(query);
        if (!name) {
            return std::move(name).take_error();
        }
        params.push_back(std::move(*these));
        names.push_back(std::move(*name));
    }
    if (PQenterPipelineMode(conn) != 1) {
        return postgres_error("pipeline failed", PQerrorMessage(conn));
    }
    std::size_t sent = 0;
    for (; sent < queries.size(); ++sent) {
        const Parameters& p = params[sent];
        const int queued = names[sent].empty()
                               ? PQsendQueryParams(conn, queries[sent].sql().c_str(), p.count(),
                                                   nullptr, p.values(), p.lengths(), p.formats(), 0)
                               : PQsendQueryPrepared(conn, names[sent].c_str(), p.count(),
                                                     p.values(), p.lengths(), p.formats(), 0);
        if (queued != 1) {
            break;
        }
    }
    Status status = sent == queries.size()
                        ? Status(Ok{})
                        : Status(postgres_error("pipeline failed", PQerrorMessage(conn)));
    if (PQpipelineSync(conn) != 1) {
        return postgres_error("pipeline failed", PQerrorMessage(conn));
    }
    if (auto collected = collect_pipeline(sent); status && !collected) {
        status = std::move(collected);
    }
    (void)PQexitPipelineMode(conn);  // refused only mid-pipeline: the pool then closes it
    return status;
}

// Reads the results up to the pipeline's sync point; the first failure is
// the pipeline's (those after it are only "aborted"). Each statement's
// results end with a null; a lost connection ends them early.
Status Connection::collect_pipeline(std::size_t statements) {
    PGconn* conn = conn_.get();
    Status status = Ok{};
    std::size_t nulls = 0;
    while (nulls <= statements && PQstatus(conn) == CONNECTION_OK) {
        ResultPtr result(PQgetResult(conn));
        if (!result) {
            ++nulls;
            continue;
        }
        const auto kind = PQresultStatus(result.get());
        if (kind == PGRES_PIPELINE_SYNC) {
            return status;
        }
        if (status && kind != PGRES_PIPELINE_ABORTED && !succeeded(result.get())) {
            status = postgres_error("statement failed", PQresultErrorMessage(result.get()));
        }
    }
    return status ? Status(postgres_error("pipeline failed", PQerrorMessage(conn))) : status;
}

Result<ConnectionPtr> connect(const ConnectSettings& settings) {
    // Our defaults first: expanding the URL afterwards lets what it says win.
    const std::string timeout = std::to_string(settings.connect_timeout.count());
    const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {timeout.c_str(), "estd", settings.url.c_str(), nullptr};
    ConnectionPtr conn(PQconnectdbParams(keywords, values, 1));
    if (!conn) {
        return Error::internal("store: PostgreSQL: out of memory");
    }
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        Error error = postgres_error("connection failed", PQerrorMessage(conn.get()));
        error.kind = ErrorKind::unavailable;
        return error;
    }
    if (auto set = execute(conn.get(), settings.session_sql); !set) {
        return std::move(set).take_error();
    }
    return conn;
}

Pool::Pool(ConnectSettings settings, std::size_t size, std::chrono::milliseconds acquire_timeout)
    : settings_(std::move(settings)),
      size_(std::max<std::size_t>(size, 1)),
      acquire_timeout_(acquire_timeout) {
}

Pool::Lease::~Lease() {
    if (conn_) {
        pool_->give_back(std::move(conn_));
    }
}

Result<Pool::Lease> Pool::acquire() {
    {
        std::unique_lock lock(mutex_);
        if (!available_.wait_for(lock, acquire_timeout_,
                                 [this] { return !idle_.empty() || open_ < size_; })) {
            return Error{ErrorKind::unavailable,
                         {},
                         "store: no PostgreSQL connection became free within " +
                             std::to_string(acquire_timeout_.count()) + " ms"};
        }
        if (!idle_.empty()) {
            ConnectionBox conn = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(conn));
        }
        const auto since_failure = std::chrono::steady_clock::now() - last_failed_connect_;
        if (!last_connect_error_.empty() && since_failure < kConnectBackoff) {
            return Error{ErrorKind::unavailable,
                         {},
                         last_connect_error_ + " (" +
                             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                since_failure)
                                                .count()) +
                             " ms ago; not tried again yet)"};
        }
        ++open_;
    }
    // Connecting takes a round trip or more: not under the lock.
    auto conn = connect(settings_);
    if (!conn) {
        {
            std::lock_guard lock(mutex_);
            last_failed_connect_ = std::chrono::steady_clock::now();
            last_connect_error_ = conn.error().message;
        }
        give_back(nullptr);
        return std::move(conn).take_error();
    }
    {
        std::lock_guard lock(mutex_);
        last_connect_error_.clear();
    }
    return Lease(*this, std::make_unique<Connection>(std::move(*conn)));
}

void Pool::give_back(ConnectionBox conn) {
    std::vector<ConnectionBox> closing;  // closed outside the lock
    {
        std::lock_guard lock(mutex_);
        if (!conn) {
            --open_;  // a connection attempt that failed
        } else if (PQstatus(conn->get()) != CONNECTION_OK) {
            // A lost connection mostly means the server restarted or failed
            // over, and then the idle ones are lost too: they are replaced
            // together, rather than each costing a caller a failed attempt.
            closing = std::move(idle_);
            idle_.clear();
            closing.push_back(std::move(conn));
            open_ -= closing.size();
        } else if (PQtransactionStatus(conn->get()) != PQTRANS_IDLE ||
                   PQpipelineStatus(conn->get()) != PQ_PIPELINE_OFF) {
            closing.push_back(std::move(conn));  // never handed out mid-transaction
            --open_;
        } else {
            idle_.push_back(std::move(conn));
        }
    }
    available_.notify_all();
}

StatementQueue::StatementQueue(Pool& pool, std::size_t max_queued,
                               std::chrono::milliseconds post_window)
    : pool_(pool), max_queued_(std::max<std::size_t>(max_queued, 1)), post_window_(post_window) {
    thread_ = std::thread([this] { loop(); });
}

StatementQueue::~StatementQueue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

Status StatementQueue::post(SqlQuery query) {
    Item item{std::move(query), {}};
    return enqueue(item);
}

void StatementQueue::submit(SqlQuery query, Done done) {
    Item item{std::move(query), std::move(done)};
    if (auto queued = enqueue(item); !queued) {
        finish(item.done, std::move(queued));
    }
}

Status StatementQueue::enqueue(Item& item) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= max_queued_) {
            return Error{ErrorKind::unavailable, {}, "store: too many writes waiting; try again"};
        }
        waited_for_ += item.done ? 1 : 0;
        queue_.push_back(std::move(item));
        ++posted_;
    }
    wake_.notify_one();
    return Ok{};
}

void StatementQueue::flush() {
    std::unique_lock lock(mutex_);
    const auto target = posted_;
    ++flushing_;
    wake_.notify_one();
    drained_.wait(lock, [&] { return done_ >= target; });
    --flushing_;
}

void StatementQueue::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            return;  // stopping, nothing left
        }
        wake_.wait_for(lock, post_window_, [this] {
            return stopping_ || waited_for_ > 0 || flushing_ > 0 || queue_.size() >= kMaxBatch;
        });
        Batch batch;
        while (!queue_.empty() && batch.queries.size() < kMaxBatch) {
            waited_for_ -= queue_.front().done ? 1 : 0;
            batch.queries.push_back(std::move(queue_.front().query));
            batch.dones.push_back(std::move(queue_.front().done));
            queue_.pop_front();
        }
        lock.unlock();
        run(batch);
        lock.lock();
        done_ += batch.queries.size();
        drained_.notify_all();
    }
}

void StatementQueue::run(const Batch& batch) {
    const auto& queries = batch.queries;
    if (queries.size() > 1) {
        // One by one only when the database refused the transaction: with
        // no connection to be had, each would wait out its own timeout to
        // learn the same.
        if (auto together = pool_.run_all(queries);
            together || together.error().kind == ErrorKind::unavailable) {
            for (const auto& done : batch.dones) {
                finish(done, together);
            }
            return;
        }
    }
    for (std::size_t i = 0; i < queries.size(); ++i) {
        finish(batch.dones[i], pool_.run(queries[i], [](const Row&) {}));
    }
}

void StatementQueue::finish(const Done& done, Status status) {
    if (done) {
        complete(done, std::move(status));
    } else {
        count(status);
    }
}

void StatementQueue::count(const Status& status) {
    if (!status) {
        if (failing_++ == 0) {
            spdlog::error("{} (further failures are counted until one succeeds)",
                          status.error().message);
        }
    } else if (failing_ > 0) {
        spdlog::warn("store: {} queued write(s) failed and were dropped before this one succeeded",
                     failing_);
        failing_ = 0;
    }
}

}  // namespace estd::store::pg
