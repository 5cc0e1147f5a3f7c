#include "estd/http/metrics.hpp"

#include <sstream>
#include <system_error>

#include <prometheus/text_serializer.h>

#include "estd/core/version.hpp"

namespace estd::http {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric sample(MetricType type, double value, std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric metric;
    metric.label = std::move(labels);
    if (type == MetricType::Counter) {
        metric.counter.value = value;
    } else {
        metric.gauge.value = value;
    }
    return metric;
}

MetricFamily family(std::string name, std::string help, MetricType type,
                    std::vector<ClientMetric> samples) {
    return MetricFamily{std::move(name), std::move(help), type, std::move(samples)};
}

MetricFamily one(std::string name, std::string help, MetricType type, double value) {
    return family(std::move(name), std::move(help), type, {sample(type, value)});
}

void add_server_families(std::vector<MetricFamily>& out, const net::ServerStats& stats) {
    const auto counter = MetricType::Counter;
    out.push_back(one("estd_connections_open", "TLS connections open now", MetricType::Gauge,
                      static_cast<double>(stats.active_connections)));
    out.push_back(one("estd_connections_accepted_total", "TCP connections accepted", counter,
                      static_cast<double>(stats.accepted_connections)));
    out.push_back(one("estd_connections_rejected_total",
                      "TCP connections refused at CERTCTL_SERVER_MAX_CONNECTIONS", counter,
                      static_cast<double>(stats.rejected_connections)));
    out.push_back(one("estd_tls_handshake_failures_total", "TLS handshakes that failed", counter,
                      static_cast<double>(stats.tls_handshake_failures)));
    out.push_back(one("estd_http_requests_total", "HTTP requests handed to a handler", counter,
                      static_cast<double>(stats.requests)));
}

}  // namespace

MetricsCollector::MetricsCollector(Sources sources) : sources_(std::move(sources)) {
    auto& family = prometheus::BuildHistogram()
                       .Name("estd_est_request_duration_seconds")
                       .Help("time to handle an EST request, from its headers to its response")
                       .Register(registry_);
    const prometheus::Histogram::BucketBoundaries buckets{
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    for (std::size_t i = 0; i < kOperations; ++i) {
        const auto op = static_cast<est::Operation>(i);
        est_seconds_[i] =
            &family.Add({{"operation", std::string(est::operation_name(op))}}, buckets);
    }
}

void MetricsCollector::observe_est(est::Operation op, std::chrono::steady_clock::duration took) {
    const auto index = static_cast<std::size_t>(op);
    if (index < kOperations) {
        est_seconds_[index]->Observe(std::chrono::duration<double>(took).count());
    }
}

std::vector<MetricFamily> MetricsCollector::Collect() const {
    std::vector<MetricFamily> out = registry_.Collect();
    out.push_back(family("estd_build_info", "estd's version", MetricType::Gauge,
                         {sample(MetricType::Gauge, 1, {{"version", kVersion}})}));

    std::vector<ClientMetric> events;
    if (sources_.counters != nullptr) {
        for (const auto& profile : sources_.counters->profiles()) {
            for (const auto& [action, count] : sources_.counters->snapshot(profile)) {
                events.push_back(sample(MetricType::Counter, static_cast<double>(count),
                                        {{"profile", profile}, {"action", action}}));
            }
        }
    }
    out.push_back(family("estd_est_audit_events_total",
                         "EST outcomes by profile and audit action code", MetricType::Counter,
                         std::move(events)));

    if (server_) {
        add_server_families(out, server_());
    }

    std::vector<ClientMetric> ready;
    for (const auto* issuer : sources_.issuers) {
        ready.push_back(
            sample(MetricType::Gauge, issuer->ready() ? 1 : 0, {{"issuer", issuer->id()}}));
    }
    out.push_back(family("estd_issuer_ready", "1 when the issuer can sign", MetricType::Gauge,
                         std::move(ready)));

    std::error_code ec;
    const auto space = std::filesystem::space(sources_.data_dir, ec);
    if (!ec) {
        out.push_back(one("estd_data_dir_available_bytes",
                          "bytes available to estd on the data directory's filesystem",
                          MetricType::Gauge, static_cast<double>(space.available)));
    }
    return out;
}

std::string prometheus_text(const prometheus::Collectable& collectable) {
    std::ostringstream text;
    prometheus::TextSerializer{}.Serialize(text, collectable.Collect());
    return text.str();
}

}  // namespace estd::http
