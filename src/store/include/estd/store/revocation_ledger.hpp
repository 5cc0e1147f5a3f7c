#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/store/certificate_criteria.hpp"
#include "estd/store/time_point.hpp"

namespace estd::store {

struct RevocationRequest {
    CertificateCriteria criteria;
    int reason = 0;
    std::string actor;
    TimePoint revoked_at;
};

struct RevokedCertificate {
    std::string issuer_id;
    std::string serial;
};

// What a CRL lists for one revoked certificate.
struct CrlEntry {
    std::string serial;
    TimePoint revoked_at;
    int reason = 0;
};

// Revocations of issued certificates and what CRLs are built from.
// Thread-safe; every write is durable when it returns.
class RevocationLedger {
  public:
    virtual ~RevocationLedger() = default;

    // Revokes every certificate matching the criteria that is not revoked
    // yet; returns those it revoked.
    virtual Result<std::vector<RevokedCertificate>> revoke(const RevocationRequest& request) = 0;
    // Revoked certificates of one issuer that have not expired at `now`.
    virtual Result<std::vector<CrlEntry>> crl_entries(const std::string& issuer_id,
                                                      TimePoint now) = 0;
    // How many of an issuer's certificates were ever revoked. It only grows
    // (revocations are final, rows are kept), so a CRL built when it read n
    // is current for as long as it still reads n: how an estd sharing the
    // database notices another one's revocations.
    virtual Result<std::uint64_t> revoked_count(const std::string& issuer_id) = 0;
    // The next CRL number of an issuer: 1, 2, ... never repeating, also
    // across restarts.
    virtual Result<std::uint64_t> next_crl_number(const std::string& issuer_id) = 0;
};

}  // namespace estd::store
