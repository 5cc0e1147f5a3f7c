#include "connection_registry.hpp"

namespace estd::net {

std::uint64_t ConnectionRegistry::add(const std::shared_ptr<Session>& session) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    sessions_.emplace(id, session);
    active_.store(sessions_.size(), std::memory_order_relaxed);
    accepted_.fetch_add(1, std::memory_order_relaxed);
    return id;
}

void ConnectionRegistry::remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    if (sessions_.erase(id) != 0) {
        active_.store(sessions_.size(), std::memory_order_relaxed);
        closed_.fetch_add(1, std::memory_order_relaxed);
    }
}

std::vector<std::shared_ptr<Session>> ConnectionRegistry::snapshot() const {
    std::vector<std::shared_ptr<Session>> live;
    std::lock_guard lock(mutex_);
    live.reserve(sessions_.size());
    for (const auto& [id, weak] : sessions_) {
        // Expired entries are sessions in their destructor, about to remove
        // themselves.
        if (auto session = weak.lock()) {
            live.push_back(std::move(session));
        }
    }
    return live;
}

ServerStats ConnectionRegistry::stats() const {
    ServerStats stats;
    stats.active_connections = active();
    stats.accepted_connections = accepted_.load(std::memory_order_relaxed);
    stats.rejected_connections = rejected_.load(std::memory_order_relaxed);
    stats.tls_handshake_failures = handshake_failures_.load(std::memory_order_relaxed);
    stats.requests = requests_.load(std::memory_order_relaxed);
    return stats;
}

}  // namespace estd::net
