#pragma once

#include "estd/store/audit_archive.hpp"
#include "estd/store/certificate_inventory.hpp"
#include "estd/store/expiry_notices.hpp"
#include "estd/store/revocation_ledger.hpp"
#include "estd/store/shared_counts.hpp"
#include "estd/store/store_health.hpp"

namespace estd::store {

// The inventory behind estd as the wiring opens and owns it: one backend
// (the embedded SQLite file or a PostgreSQL server) behind every capability.
// Only src/app holds it; every other room takes the one interface it uses,
// so a server database can replace the embedded one and a test can fake
// one capability.
class Store : public CertificateInventory,
              public RevocationLedger,
              public AuditArchive,
              public ExpiryNotices,
              public StoreHealth {
  public:
    // Counts shared with other estd on the same database; null for a store
    // only this process uses.
    virtual SharedCounts* shared_counts() { return nullptr; }
};

}  // namespace estd::store
