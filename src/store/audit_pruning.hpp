#pragma once

// Private to src/store: when a store runs a pass of queries::prune_audit
// (AuditRetention), the same for every backend.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>

#include "estd/store/audit_archive.hpp"
#include "queries.hpp"

namespace estd::store {

class AuditPruning {
  public:
    explicit AuditPruning(const AuditRetention& retention)
        : retention_(retention.retention),
          every_(std::max<std::size_t>(retention.prune_every, 1)),
          batch_(std::max<std::size_t>(retention.prune_batch, 1)),
          interval_(retention.prune_interval) {}

    // The pass to run now (at open, or when one is due), or nullopt without
    // a retention; the interval counts from here.
    std::optional<SqlQuery> pass(Dialect dialect) {
        if (!retention_) {
            return std::nullopt;
        }
        last_pass_ = Clock::now().time_since_epoch().count();
        return queries::prune_audit(dialect, std::chrono::system_clock::now() - *retention_,
                                    batch_);
    }
    // Counts one appended row: the pass to run after it, if one is due.
    std::optional<SqlQuery> after_append(Dialect dialect) {
        if (!retention_ || (++appended_ % every_ != 0 && !claim_interval())) {
            return std::nullopt;
        }
        return pass(dialect);
    }

  private:
    using Clock = std::chrono::steady_clock;

    // True for one caller once the interval has passed since the last pass.
    bool claim_interval() {
        auto last = last_pass_.load();
        const auto now = Clock::now().time_since_epoch().count();
        return now - last >= std::chrono::duration_cast<Clock::duration>(interval_).count() &&
               last_pass_.compare_exchange_strong(last, now);
    }

    const std::optional<std::chrono::seconds> retention_;
    const std::size_t every_;
    const std::size_t batch_;
    const std::chrono::seconds interval_;
    std::atomic<std::size_t> appended_{0};
    std::atomic<Clock::rep> last_pass_{0};
};

}  // namespace estd::store
