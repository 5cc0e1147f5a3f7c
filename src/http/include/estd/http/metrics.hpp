#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include "estd/audit/counters.hpp"
#include "estd/est/operation.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/net/server.hpp"

namespace estd::http {

// What GET /api/v1/metrics reports in Prometheus' text format. Most of it is
// read when scraped from state estd keeps anyway (the per-profile audit
// counters, the listener's counts, the issuers, the data directory); the
// request path only adds each EST request's handling time to a histogram.
class MetricsCollector final : public prometheus::Collectable {
  public:
    struct Sources {
        const audit::ProfileCounters* counters = nullptr;
        std::vector<const issuer::Issuer*> issuers;
        std::filesystem::path data_dir;
    };
    explicit MetricsCollector(Sources sources);

    // The listener's counts, once it exists; set before serving.
    void observe_server(std::function<net::ServerStats()> stats) { server_ = std::move(stats); }
    // How long one EST request took from its parsed headers to its response
    // (not the network). Thread-safe.
    void observe_est(est::Operation op, std::chrono::steady_clock::duration took);

    std::vector<prometheus::MetricFamily> Collect() const override;

  private:
    // est::Operation's values: fullcmc is the last.
    static constexpr std::size_t kOperations =
        static_cast<std::size_t>(est::Operation::fullcmc) + 1;

    Sources sources_;
    std::function<net::ServerStats()> server_;
    prometheus::Registry registry_;
    // One per operation, made up front: observing needs no lookup.
    std::array<prometheus::Histogram*, kOperations> est_seconds_{};
};

// The text exposition (format 0.0.4) of what `collectable` holds.
std::string prometheus_text(const prometheus::Collectable& collectable);
inline constexpr const char* kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace estd::http
