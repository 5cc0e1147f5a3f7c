#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "estd/audit/counters.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/net/server.hpp"

namespace estd::http {

// What GET /api/v1/metrics reports in Prometheus' text format. Everything is
// read when scraped from state estd keeps anyway (the per-profile audit
// counters, the listener's counts, the issuers, the data directory), so the
// request path pays nothing for it.
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

    std::vector<prometheus::MetricFamily> Collect() const override;

  private:
    Sources sources_;
    std::function<net::ServerStats()> server_;
};

// The text exposition (format 0.0.4) of what `collectable` holds.
std::string prometheus_text(const prometheus::Collectable& collectable);
inline constexpr const char* kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace estd::http
