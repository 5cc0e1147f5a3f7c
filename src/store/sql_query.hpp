#pragma once

// Private to src/store: a statement and its parameters, built once for
// either database. Placeholders are numbered (?1 in SQLite, $1 in
// PostgreSQL), so the same builder serves both.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "estd/pki/handles.hpp"

namespace estd::store {

enum class Dialect { sqlite, postgres };

// A bound parameter: NULL, text, integer or blob.
struct SqlNull {};
using SqlValue = std::variant<SqlNull, std::string, std::int64_t, pki::Bytes>;

class SqlQuery {
  public:
    SqlQuery(Dialect dialect, std::string sql) : dialect_(dialect), sql_(std::move(sql)) {}

    SqlQuery& add(std::string_view text) {
        sql_ += text;
        return *this;
    }
    // Appends the placeholder of a new parameter.
    SqlQuery& bind(SqlValue value) {
        args_.push_back(std::move(value));
        sql_ += dialect_ == Dialect::sqlite ? '?' : '$';
        sql_ += std::to_string(args_.size());
        return *this;
    }

    Dialect dialect() const { return dialect_; }
    const std::string& sql() const { return sql_; }
    const std::vector<SqlValue>& args() const { return args_; }

  private:
    Dialect dialect_;
    std::string sql_;
    std::vector<SqlValue> args_;
};

}  // namespace estd::store
