#pragma once

#include <vector>

#include "estd/audit/audit_log.hpp"

namespace estd::audit {

// Sends every event to each sink; all are tried, the first error is returned.
class FanOutSink final : public AuditSink {
  public:
    explicit FanOutSink(std::vector<AuditSink*> sinks) : sinks_(std::move(sinks)) {}
    Status record(const AuditEvent& event) override;

  private:
    std::vector<AuditSink*> sinks_;
};

}  // namespace estd::audit
