#pragma once

// Private to src/store: RAII over the SQLite C API.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <sqlite3.h>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"
#include "sql_query.hpp"

namespace estd::store::sqlite {

struct DbCloser {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};

using Value = SqlValue;

Error db_error(sqlite3* db, std::string_view what);

Result<DbPtr> open(const std::string& path, int flags);
Status exec(sqlite3* db, const char* sql);

// Finalizes an owned statement; resets a cached one (and clears its
// bindings) so the cache can hand it out again.
struct StmtRelease {
    bool cached = false;
    void operator()(sqlite3_stmt* stmt) const noexcept {
        if (cached) {
            sqlite3_reset(stmt);
            sqlite3_clear_bindings(stmt);
        } else {
            sqlite3_finalize(stmt);
        }
    }
};

class Statement {
  public:
    static Result<Statement> prepare(sqlite3* db, std::string_view sql);

    Status bind_all(const std::vector<Value>& values);
    // true while a row is available, false when done.
    Result<bool> step();
    Status run();  // steps to completion, expecting no rows

    std::string text(int column) const;
    std::int64_t integer(int column) const;
    pki::Bytes blob(int column) const;
    bool is_null(int column) const;

  private:
    friend class StatementCache;
    Statement(sqlite3* db, sqlite3_stmt* stmt, bool cached = false)
        : db_(db), stmt_(stmt, StmtRelease{cached}) {}
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, StmtRelease> stmt_;
};

// Statements prepared once and reused, for one connection used by one thread
// at a time: preparing a statement costs more than running it. A Statement
// from here must be released before the same SQL is asked again. Past
// kMaxStatements texts (the operator API's filters combine), statements are
// prepared for one use.
class StatementCache {
  public:
    static constexpr std::size_t kMaxStatements = 64;

    Result<Statement> prepare(sqlite3* db, const std::string& sql);

  private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtFinalizer>> statements_;
};

}  // namespace estd::store::sqlite
