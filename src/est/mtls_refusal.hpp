#pragma once

// Private to src/est: the refusal of a client certificate, shared by the
// route gate (est_service.cpp) and the inventory checks (inventory.cpp).

#include <string>
#include <utility>

#include "estd/audit/audit_codes.hpp"
#include "estd/core/error.hpp"

namespace estd::est {

inline Error mtls_refusal(std::string message) {
    return Error{401, std::string(audit::codes::kAuthFailedMtls), std::move(message)};
}

}  // namespace estd::est
