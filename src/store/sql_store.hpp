#pragma once

// Private to src/store: every capability of store::Store on top of a
// database backend. The two databases differ only in how a statement runs,
// which the backend (the derived class) provides:
//   template <class OnRow> Status read(const SqlQuery&, OnRow&&);   a read
//   template <class OnRow> Status write(const SqlQuery&, OnRow&&);  durable on return
//   void write_then(SqlQuery, Committed);  a write that calls back once durable
//   Status append(SqlQuery);   an audit row: may be queued, not waited for
//   void prune(SqlQuery);      a pass of queries::prune_audit, errors logged
// and which Dialect its statements are built for.

#include <optional>

#include "audit_pruning.hpp"
#include "estd/store/store.hpp"
#include "queries.hpp"

namespace estd::store {

template <class Backend, Dialect kDialect>
class SqlStore : public Store {
  public:
    // CertificateInventory
    Status add_certificate(const CertificateRecord& record) override {
        return backend().write(queries::insert_certificate(kDialect, record), ignore_rows);
    }

    void add_certificate_then(const CertificateRecord& record, Committed committed) override {
        backend().write_then(queries::insert_certificate(kDialect, record), std::move(committed));
    }

    Result<std::optional<CertificateRecord>> find_by_fingerprint(
        const std::string& fingerprint) override {
        return find_one(queries::find_certificate_by_fingerprint(kDialect, fingerprint));
    }

    Result<std::optional<CertificateRecord>> find_certificate(const std::string& issuer_id,
                                                              const std::string& serial) override {
        return find_one(queries::find_certificate(kDialect, issuer_id, serial));
    }

    Result<CertificatePage> list_certificates(const CertificateQuery& query) override {
        CertificatePage page;
        auto status = backend().read(
            queries::list_certificates(kDialect, query, std::chrono::system_clock::now()),
            [&](const auto& row) { page.items.push_back(queries::read_certificate(row)); });
        if (!status) {
            return std::move(status).take_error();
        }
        queries::finish_page(page, query.limit);
        return page;
    }

    // RevocationLedger
    Result<std::vector<RevokedCertificate>> revoke(const RevocationRequest& request) override {
        std::vector<RevokedCertificate> revoked;
        auto status = backend().write(queries::revoke(kDialect, request), [&](const auto& row) {
            revoked.push_back(queries::read_revoked(row));
        });
        if (!status) {
            return std::move(status).take_error();
        }
        return revoked;
    }

    Result<std::vector<CrlEntry>> crl_entries(const std::string& issuer_id,
                                              TimePoint now) override {
        std::vector<CrlEntry> entries;
        auto status = backend().read(
            queries::crl_entries(kDialect, issuer_id, now),
            [&](const auto& row) { entries.push_back(queries::read_crl_entry(row)); });
        if (!status) {
            return std::move(status).take_error();
        }
        return entries;
    }

    Result<std::uint64_t> revoked_count(const std::string& issuer_id) override {
        std::int64_t count = 0;
        auto status = backend().read(queries::revoked_count(kDialect, issuer_id),
                                     [&](const auto& row) { count = row.integer(0); });
        if (!status) {
            return std::move(status).take_error();
        }
        return static_cast<std::uint64_t>(count);
    }

    Result<std::uint64_t> next_crl_number(const std::string& issuer_id) override {
        std::int64_t number = 0;
        auto status = backend().write(queries::next_crl_number(kDialect, issuer_id),
                                      [&](const auto& row) { number = row.integer(0); });
        if (!status) {
            return std::move(status).take_error();
        }
        return static_cast<std::uint64_t>(number);
    }

    // AuditArchive (flush is the backend's)
    Status append_audit(const audit::AuditEvent& event, TimePoint time) override {
        auto appended = backend().append(queries::insert_audit(kDialect, event, time));
        if (appended) {
            prune_audit(audit_pruning_.after_append(kDialect));
        }
        return appended;
    }

    Result<AuditPage> list_audit(const AuditQuery& query) override {
        AuditPage page;
        auto status = backend().read(queries::list_audit(kDialect, query), [&](const auto& row) {
            page.items.push_back(queries::read_audit(row));
        });
        if (!status) {
            return std::move(status).take_error();
        }
        queries::finish_page(page, query.limit);
        return page;
    }

    // ExpiryNotices
    Result<std::vector<CertificateRecord>> pending_expiry_notices(int threshold_days, TimePoint now,
                                                                  std::size_t limit) override {
        std::vector<CertificateRecord> out;
        auto status =
            backend().read(queries::pending_expiry_notices(kDialect, threshold_days, now, limit),
                           [&](const auto& row) { out.push_back(queries::read_certificate(row)); });
        if (!status) {
            return std::move(status).take_error();
        }
        return out;
    }

    Status mark_expiry_notice_delivered(const std::string& issuer_id, const std::string& serial,
                                        int threshold_days, TimePoint delivered_at) override {
        return backend().write(queries::mark_expiry_notice_delivered(kDialect, issuer_id, serial,
                                                                     threshold_days, delivered_at),
                               ignore_rows);
    }

  protected:
    explicit SqlStore(const AuditRetention& retention) : audit_pruning_(retention) {}

    // The pass due when the store opens, if there is a retention; the
    // backend calls it once it can run statements.
    void prune_audit_at_open() { prune_audit(audit_pruning_.pass(kDialect)); }

    static constexpr auto ignore_rows = [](const auto&) {};

  private:
    Backend& backend() { return static_cast<Backend&>(*this); }

    void prune_audit(std::optional<SqlQuery> pass) {
        if (pass) {
            backend().prune(std::move(*pass));
        }
    }

    Result<std::optional<CertificateRecord>> find_one(const SqlQuery& query) {
        std::optional<CertificateRecord> found;
        auto status =
            backend().read(query, [&](const auto& row) { found = queries::read_certificate(row); });
        if (!status) {
            return std::move(status).take_error();
        }
        return found;
    }

    AuditPruning audit_pruning_;
};

}  // namespace estd::store
