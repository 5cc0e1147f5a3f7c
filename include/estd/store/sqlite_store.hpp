#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>

#include "estd/core/error.hpp"
#include "estd/store/store.hpp"

namespace estd::store {

struct SqliteOptions {
    // Writes waiting for the writer thread; beyond it a write is refused at
    // once (503 for an enrollment) rather than queued without bound.
    std::size_t max_queued_writes = 10000;
    // Most writes committed in one transaction (one fsync).
    std::size_t max_batch = 256;
    std::size_t reader_connections = 4;
    std::chrono::milliseconds busy_timeout{5000};
    // Audit rows older than this are deleted (unset: kept). The writer does
    // it in passes of at most audit_prune_batch rows, one when the store
    // opens and one after every audit_prune_every appended rows, so the
    // table stops growing without a long pause in the commits.
    std::optional<std::chrono::seconds> audit_retention;
    std::size_t audit_prune_every = 1024;
    std::size_t audit_prune_batch = 2048;
};

// The schema version this build writes. A database with a newer version is
// refused: an older estd must not guess at a newer layout.
int sqlite_schema_version();

// Opens (creating when absent, mode 0600) the embedded store: SQLite in WAL
// mode with synchronous=FULL, migrated to the current schema, one writer
// thread that commits queued writes in groups.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 const SqliteOptions& options = {});

}  // namespace estd::store
