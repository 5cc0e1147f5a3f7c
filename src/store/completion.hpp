#pragma once

// Private to src/store: telling a caller that its write committed or failed.

#include <functional>

#include "estd/core/error.hpp"

namespace estd::store {

using Completion = std::function<void(Status)>;

// Calls `done` on the store's thread. A completion that throws is logged:
// it must not take the thread that commits everyone's writes down with it.
void complete(const Completion& done, Status status) noexcept;

}  // namespace estd::store
