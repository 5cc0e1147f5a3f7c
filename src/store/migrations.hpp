#pragma once

#include "estd/core/error.hpp"
#include "sqlite.hpp"

namespace estd::store {

// Brings the database to sqlite_schema_version(), one transaction per step.
Status migrate(sqlite3* db);

}  // namespace estd::store
