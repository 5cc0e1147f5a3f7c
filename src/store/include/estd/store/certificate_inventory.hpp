#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/store/certificate_criteria.hpp"
#include "estd/store/certificate_record.hpp"
#include "estd/store/paging.hpp"

namespace estd::store {

struct CertificateQuery {
    CertificateCriteria criteria;
    std::size_t limit = kDefaultPageSize;
    std::int64_t before_id = 0;  // 0: from the newest; else only ids below it
    bool include_der = false;
};

struct CertificatePage {
    std::vector<CertificateRecord> items;  // newest first
    std::optional<std::int64_t> next_cursor;
};

// Every certificate estd issued, each with its revocation once it has one.
// Thread-safe; add_certificate returns once the row is durable, so a
// certificate leaves only with its row.
class CertificateInventory {
  public:
    // Called once with the outcome of add_certificate_then.
    using Committed = std::function<void(Status)>;

    virtual ~CertificateInventory() = default;

    virtual Status add_certificate(const CertificateRecord& record) = 0;
    // add_certificate without waiting for it: `committed` is called once the
    // row is durable or has failed, on the store's own thread (or before this
    // returns). It must be short and must not wait on the store: hand the
    // rest of the work to another thread.
    virtual void add_certificate_then(const CertificateRecord& record, Committed committed) {
        const Committed done = std::move(committed);  // by value: overrides keep it
        done(add_certificate(record));
    }
    // True when add_certificate_then hands the commit to the store's own
    // thread instead of waiting for it in the call.
    virtual bool commits_without_waiting() const { return false; }
    virtual Result<std::optional<CertificateRecord>> find_by_fingerprint(
        const std::string& fingerprint) = 0;
    virtual Result<std::optional<CertificateRecord>> find_certificate(
        const std::string& issuer_id, const std::string& serial) = 0;
    virtual Result<CertificatePage> list_certificates(const CertificateQuery& query) = 0;
};

}  // namespace estd::store
