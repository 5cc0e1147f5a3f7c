#include "completion.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace estd::store {

void complete(const Completion& done, Status status) noexcept {
    try {
        done(std::move(status));
    } catch (const std::exception& e) {
        spdlog::error("store: a commit's completion failed: {}", e.what());
    } catch (...) {
        spdlog::error("store: a commit's completion failed: unknown exception");
    }
}

}  // namespace estd::store
