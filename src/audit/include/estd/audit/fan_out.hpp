#pragma once

#include <vector>

#include "estd/audit/audit_log.hpp"
#include "estd/store/store.hpp"

namespace estd::audit {

// Audit rows in the store, for GET /api/v1/audit. Queued, not awaited: the
// JSON-lines file is the synchronous record of each outcome.
class StoreAuditSink final : public AuditSink {
  public:
    explicit StoreAuditSink(store::Store& store) : store_(store) {}
    Status record(const AuditEvent& event) override;

  private:
    store::Store& store_;
};

// Sends every event to each sink; all are tried, the first error is returned.
class FanOutSink final : public AuditSink {
  public:
    explicit FanOutSink(std::vector<AuditSink*> sinks) : sinks_(std::move(sinks)) {}
    Status record(const AuditEvent& event) override;

  private:
    std::vector<AuditSink*> sinks_;
};

}  // namespace estd::audit
