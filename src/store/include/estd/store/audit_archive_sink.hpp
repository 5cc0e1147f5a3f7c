#pragma once

#include "estd/audit/audit_log.hpp"
#include "estd/store/audit_archive.hpp"

namespace estd::store {

// Audit events into the archive, for GET /api/v1/audit. Queued, not
// awaited: the JSON-lines file is the synchronous record of each outcome.
class AuditArchiveSink final : public audit::AuditSink {
  public:
    explicit AuditArchiveSink(AuditArchive& archive) : archive_(archive) {}
    Status record(const audit::AuditEvent& event) override;

  private:
    AuditArchive& archive_;
};

}  // namespace estd::store
