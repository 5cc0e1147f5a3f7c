#include "postgres.hpp"

#include <algorithm>
#include <charconv>
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

Result<ResultPtr> execute(PGconn* conn, const SqlQuery& query) {
    const auto& args = query.args();
    std::vector<std::string> texts(args.size());
    std::vector<const char*> values(args.size(), nullptr);
    std::vector<int> lengths(args.size(), 0);
    std::vector<int> formats(args.size(), 0);
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (const auto* text = std::get_if<std::string>(&args[i])) {
            // Text parameters end at their first NUL; refuse rather than cut.
            if (text->find('\0') != std::string::npos) {
                return Error::internal("store: a text value holds a NUL byte");
            }
            values[i] = text->c_str();
        } else if (const auto* number = std::get_if<std::int64_t>(&args[i])) {
            texts[i] = std::to_string(*number);
            values[i] = texts[i].c_str();
        } else if (const auto* bytes = std::get_if<pki::Bytes>(&args[i])) {
            values[i] = reinterpret_cast<const char*>(bytes->data());
            lengths[i] = static_cast<int>(bytes->size());
            formats[i] = 1;
        }
    }
    ResultPtr result(PQexecParams(conn, query.sql().c_str(), static_cast<int>(args.size()), nullptr,
                                  values.data(), lengths.data(), formats.data(), 0));
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        return postgres_error("statement failed",
                              result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn));
    }
    return result;
}

Status execute(PGconn* conn, const std::string& sql) {
    ResultPtr result(PQexec(conn, sql.c_str()));
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        return postgres_error("statement failed",
                              result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn));
    }
    return Ok{};
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
        return postgres_error("connection failed", PQerrorMessage(conn.get()));
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
            return Error::internal("store: no PostgreSQL connection became free within " +
                                   std::to_string(acquire_timeout_.count()) + " ms");
        }
        if (!idle_.empty()) {
            ConnectionPtr conn = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(conn));
        }
        const auto since_failure = std::chrono::steady_clock::now() - last_failed_connect_;
        if (!last_connect_error_.empty() && since_failure < kConnectBackoff) {
            return Error::internal(
                last_connect_error_ + " (" +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::milliseconds>(since_failure).count()) +
                " ms ago; not tried again yet)");
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
    return Lease(*this, std::move(*conn));
}

void Pool::give_back(ConnectionPtr conn) {
    std::vector<ConnectionPtr> closing;  // closed outside the lock
    {
        std::lock_guard lock(mutex_);
        if (!conn) {
            --open_;  // a connection attempt that failed
        } else if (PQstatus(conn.get()) != CONNECTION_OK) {
            // A lost connection mostly means the server restarted or failed
            // over, and then the idle ones are lost too: they are replaced
            // together, rather than each costing a caller a failed attempt.
            closing = std::move(idle_);
            idle_.clear();
            closing.push_back(std::move(conn));
            open_ -= closing.size();
        } else if (PQtransactionStatus(conn.get()) != PQTRANS_IDLE) {
            closing.push_back(std::move(conn));  // never handed out mid-transaction
            --open_;
        } else {
            idle_.push_back(std::move(conn));
        }
    }
    available_.notify_all();
}

StatementQueue::StatementQueue(Pool& pool, std::size_t max_queued)
    : pool_(pool), max_queued_(std::max<std::size_t>(max_queued, 1)) {
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
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= max_queued_) {
            return Error{503, {}, "store: too many writes waiting; try again"};
        }
        queue_.push_back(std::move(query));
        ++posted_;
    }
    wake_.notify_one();
    return Ok{};
}

void StatementQueue::flush() {
    std::unique_lock lock(mutex_);
    const auto target = posted_;
    drained_.wait(lock, [&] { return done_ >= target; });
}

void StatementQueue::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            return;  // stopping, nothing left
        }
        SqlQuery query = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        run(query);
        lock.lock();
        ++done_;
        drained_.notify_all();
    }
}

void StatementQueue::run(const SqlQuery& query) {
    auto status = pool_.run(query, [](const Row&) {});
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
