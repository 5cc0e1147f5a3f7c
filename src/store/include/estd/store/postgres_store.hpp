#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "estd/core/error.hpp"
#include "estd/store/store.hpp"

namespace estd::store {

struct PostgresOptions {
    // Connections for durable writes and reads; a caller waits at most
    // acquire_timeout for a free one, then gets an error (503 for an
    // enrollment) rather than queueing without bound.
    std::size_t connections = 8;
    std::chrono::milliseconds acquire_timeout{5000};
    // Applied unless the URL sets its own connect_timeout.
    std::chrono::seconds connect_timeout{10};
    // Every statement; a stuck server costs a request this long at most.
    std::chrono::milliseconds statement_timeout{10000};
    // Certificate rows waiting for their commit; beyond it an enrollment
    // is refused at once (503), as in the embedded store.
    std::size_t max_queued_certificates = 10000;
    // Audit rows waiting for their writer thread; beyond it a row is
    // refused at once, as in the embedded store.
    std::size_t max_queued_audit_rows = 10000;
    // How long a queued audit row waits for company before its batch is
    // sent, as in the embedded store.
    std::chrono::milliseconds post_window{10};
    AuditRetention audit;
};

// The schema version this build writes. A database with a newer version is
// refused, as for the embedded store.
int postgres_schema_version();

// "user@host:port/dbname" of a libpq URL or connection string, for logs:
// never the password. nullopt when libpq cannot parse it.
std::optional<std::string> describe_postgres_url(const std::string& url);

// Connects to a PostgreSQL database (libpq URL or key=value connection
// string) and brings its schema to postgres_schema_version(), under an
// advisory lock so several estd starting at once migrate it once. Several
// estd may share the database: certificates, revocations, CRL numbers,
// audit rows and delivered notices are then one inventory for all.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url,
                                                   const PostgresOptions& options = {});

}  // namespace estd::store
