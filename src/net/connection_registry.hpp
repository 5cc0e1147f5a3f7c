#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "estd/net/server.hpp"

namespace estd::net {

class Session;

// The live connections, so shutdown can reach each of them, plus the
// listener's counters. The mutex is taken on connect and disconnect only;
// the request path touches relaxed atomics at most.
class ConnectionRegistry {
  public:
    // Returns the connection's id (unique for the registry's lifetime).
    std::uint64_t add(const std::shared_ptr<Session>& session);
    void remove(std::uint64_t id);
    std::vector<std::shared_ptr<Session>> snapshot() const;
    std::size_t active() const { return active_.load(std::memory_order_relaxed); }
    std::uint64_t closed() const { return closed_.load(std::memory_order_relaxed); }

    void count_rejected() { rejected_.fetch_add(1, std::memory_order_relaxed); }
    void count_handshake_failure() { handshake_failures_.fetch_add(1, std::memory_order_relaxed); }
    void count_request() { requests_.fetch_add(1, std::memory_order_relaxed); }
    ServerStats stats() const;

  private:
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;
    std::uint64_t next_id_ = 1;
    std::atomic<std::size_t> active_{0};
    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> closed_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> handshake_failures_{0};
    std::atomic<std::uint64_t> requests_{0};
};

}  // namespace estd::net
