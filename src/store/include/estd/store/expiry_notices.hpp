#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/store/certificate_record.hpp"
#include "estd/store/time_point.hpp"

namespace estd::store {

// Which expiry notifications are due and which were delivered, so a
// restart does not send one again. Thread-safe; a delivery is durable when
// marking it returns.
class ExpiryNotices {
  public:
    virtual ~ExpiryNotices() = default;

    // Unrevoked certificates with now < NotAfter <= now + threshold for which
    // no notification for `threshold_days` was delivered yet, oldest NotAfter
    // first, at most `limit`.
    virtual Result<std::vector<CertificateRecord>> pending_expiry_notices(int threshold_days,
                                                                          TimePoint now,
                                                                          std::size_t limit) = 0;
    virtual Status mark_expiry_notice_delivered(const std::string& issuer_id,
                                                const std::string& serial, int threshold_days,
                                                TimePoint delivered_at) = 0;
};

}  // namespace estd::store
