#pragma once

#include "estd/core/error.hpp"

namespace estd::store {

// Whether the store can answer now, for /readyz.
class StoreHealth {
  public:
    virtual ~StoreHealth() = default;

    // Ok always for the embedded store; for a server database, one round
    // trip.
    virtual Status reachable() = 0;
};

}  // namespace estd::store
