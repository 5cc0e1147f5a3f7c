#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/store/store_health.hpp"

namespace estd::http {

// What /readyz answers: Ok, or why this estd should not be sent enrollments
// now. Every issuer must be able to sign, the store must answer (a server
// database can be unreachable), and the filesystem of the data directory
// (embedded store and audit log) must keep `min_free_bytes` available: a
// load balancer then stops routing to an instance before its disk fills and
// every enrollment fails closed.
class Readiness {
  public:
    // `store` may be null (not checked).
    Readiness(std::vector<const issuer::Issuer*> issuers, store::StoreHealth* store,
              std::filesystem::path data_dir, std::uint64_t min_free_bytes);

    Status check() const;

  private:
    std::vector<const issuer::Issuer*> issuers_;
    store::StoreHealth* store_;
    std::filesystem::path data_dir_;
    std::uint64_t min_free_bytes_;
};

// Ok when `available` bytes are at least `min_free_bytes`; else the 503 that
// says how much `dir` has left.
Status check_free_space(const std::filesystem::path& dir, std::uintmax_t available,
                        std::uint64_t min_free_bytes);

}  // namespace estd::http
