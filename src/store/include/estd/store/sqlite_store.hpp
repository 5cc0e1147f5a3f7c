#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

#include "estd/core/error.hpp"
#include "estd/store/store.hpp"

namespace estd::store {

struct SqliteOptions {
    // Writes waiting for the writer thread; beyond it a write is refused at
    // once (503 for an enrollment) rather than queued without bound.
    std::size_t max_queued_writes = 10000;
    // Most writes committed in one transaction (one fsync).
    std::size_t max_batch = 256;
    // How long an audit row waits for others to share its commit, which does
    // not wait for the disk (a certificate's commit does, and syncs them too).
    std::chrono::milliseconds post_window{10};
    std::size_t reader_connections = 4;
    std::chrono::milliseconds busy_timeout{5000};
    AuditRetention audit;
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
