#pragma once

// Private to src/store: when a store runs a pass of queries::prune_audit
// (AuditRetention), the same for every backend.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>

#include "estd/store/store.hpp"
#include "queries.hpp"

namespace estd::store {

class AuditPruning {
  public:
    explicit AuditPruning(const AuditRetention& retention)
        : retention_(retention.retention),
          every_(std::max<std::size_t>(retention.prune_every, 1)),
          batch_(std::max<std::size_t>(retention.prune_batch, 1)) {}

    // The pass to run now (at open), or nullopt without a retention.
    std::optional<SqlQuery> pass(Dialect dialect) const {
        if (!retention_) {
            return std::nullopt;
        }
        return queries::prune_audit(dialect, std::chrono::system_clock::now() - *retention_,
                                    batch_);
    }
    // Counts one appended row: the pass to run after it, if one is due.
    std::optional<SqlQuery> after_append(Dialect dialect) {
        if (!retention_ || ++appended_ % every_ != 0) {
            return std::nullopt;
        }
        return pass(dialect);
    }

  private:
    const std::optional<std::chrono::seconds> retention_;
    const std::size_t every_;
    const std::size_t batch_;
    std::atomic<std::size_t> appended_{0};
};

}  // namespace estd::store
