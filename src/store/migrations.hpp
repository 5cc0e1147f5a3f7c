#pragma once

#include "estd/core/error.hpp"
#include "estd/store/sqlite_store.hpp"
#include "sqlite.hpp"

namespace estd::store {

// Brings the database to sqlite_schema_version(), one transaction per step;
// tests stop at an earlier target_version to make an older store.
Status migrate(sqlite3* db, int target_version = sqlite_schema_version());

}  // namespace estd::store
