#include "sqlite.hpp"

namespace estd::store::sqlite {

Error db_error(sqlite3* db, std::string_view what) {
    const char* message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    return Error::internal("store: " + std::string(what) + ": " + message);
}

Result<DbPtr> open(const std::string& path, int flags) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    DbPtr db(raw);
    if (rc != SQLITE_OK) {
        return db_error(db.get(), "cannot open " + path);
    }
    sqlite3_extended_result_codes(db.get(), 1);
    return db;
}

Status exec(sqlite3* db, const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message != nullptr ? message : "unknown error";
        sqlite3_free(message);
        return Error::internal("store: " + text);
    }
    return Ok{};
}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
        SQLITE_OK) {
        return db_error(db, "cannot prepare a statement");
    }
    return Statement(db, raw);
}

Result<Statement> StatementCache::prepare(sqlite3* db, const std::string& sql) {
    if (db != db_) {
        statements_.clear();
        db_ = db;
    }
    auto found = statements_.find(sql);
    if (found == statements_.end()) {
        if (statements_.size() >= kMaxStatements) {
            return Statement::prepare(db, sql);
        }
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                               SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
            sqlite3_finalize(raw);
            return db_error(db, "cannot prepare a statement");
        }
        found = statements_.emplace(sql, raw).first;
    }
    return Statement(db, found->second.get(), true);
}

Status Statement::bind_all(const std::vector<Value>& values) {
    int index = 1;
    for (const auto& value : values) {
        int rc = SQLITE_OK;
        if (const auto* text = std::get_if<std::string>(&value)) {
            rc = sqlite3_bind_text(stmt_.get(), index, text->data(), static_cast<int>(text->size()),
                                   SQLITE_TRANSIENT);
        } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
            rc = sqlite3_bind_int64(stmt_.get(), index, *number);
        } else if (const auto* bytes = std::get_if<pki::Bytes>(&value)) {
            rc = sqlite3_bind_blob(stmt_.get(), index, bytes->data(),
                                   static_cast<int>(bytes->size()), SQLITE_TRANSIENT);
        } else {
            rc = sqlite3_bind_null(stmt_.get(), index);
        }
        if (rc != SQLITE_OK) {
            return db_error(db_, "cannot bind a value");
        }
        ++index;
    }
    return Ok{};
}

Result<bool> Statement::step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return db_error(db_, "query failed");
}

Status Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) {
            return std::move(row).take_error();
        }
        if (!*row) {
            return Ok{};
        }
    }
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(stmt_.get(), column);
    const int size = sqlite3_column_bytes(stmt_.get(), column);
    return data != nullptr
               ? std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size))
               : std::string();
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(stmt_.get(), column);
}

pki::Bytes Statement::blob(int column) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
    const int size = sqlite3_column_bytes(stmt_.get(), column);
    return data != nullptr ? pki::Bytes(data, data + size) : pki::Bytes();
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

}  // namespace estd::store::sqlite
