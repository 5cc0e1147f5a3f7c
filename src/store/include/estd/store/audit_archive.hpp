#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "estd/audit/audit_event.hpp"
#include "estd/core/error.hpp"
#include "estd/store/paging.hpp"
#include "estd/store/time_point.hpp"

namespace estd::store {

struct AuditRecord {
    std::int64_t id = 0;
    TimePoint time;
    audit::AuditEvent event;
};

struct AuditQuery {
    // A row matches when its action or operation_action starts with any of
    // these (none: every row).
    std::vector<std::string> action_prefixes;
    std::string profile;
    std::string actor;
    std::string serial;
    std::optional<TimePoint> since;
    std::optional<TimePoint> until;
    std::size_t limit = kDefaultPageSize;
    std::int64_t before_id = 0;
};

struct AuditPage {
    std::vector<AuditRecord> items;  // newest first
    std::optional<std::int64_t> next_cursor;
};

// Audit rows older than `retention` are deleted (unset: kept). The store
// does it in passes of at most `prune_batch` rows, one when it opens and one
// after every `prune_every` appended rows, so the table stops growing
// without a long pause in the writes; and one after the first row appended
// once `prune_interval` has passed since the last pass, so a server with
// little traffic does not keep expired rows for long.
struct AuditRetention {
    std::optional<std::chrono::seconds> retention;
    std::size_t prune_every = 1024;
    std::size_t prune_batch = 2048;
    std::chrono::seconds prune_interval{3600};
};

// The audit events kept for GET /api/v1/audit. Thread-safe. append_audit
// queues (the JSON-lines audit file is the synchronous record) and flush()
// waits for the queue, so a listing after it sees every row appended before.
class AuditArchive {
  public:
    virtual ~AuditArchive() = default;

    virtual Status append_audit(const audit::AuditEvent& event, TimePoint time) = 0;
    virtual Result<AuditPage> list_audit(const AuditQuery& query) = 0;
    // Waits until every queued write is durable.
    virtual Status flush() = 0;
};

}  // namespace estd::store
