// /api/v1/metrics: what the collector reads, in Prometheus' text format.
#include "estd/http/metrics.hpp"

#include <gtest/gtest.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/core/version.hpp"
#include "support/test_pki.hpp"

namespace estd::http {
namespace {

class FixedIssuer final : public issuer::Issuer {
  public:
    FixedIssuer(std::string id, bool ready) : id_(std::move(id)), ready_(ready) {}
    const std::string& id() const override { return id_; }
    const std::vector<pki::X509Ptr>& chain() const override { return chain_; }
    Result<pki::X509Ptr> issue(pki::CertificateTemplate) override {
        return Error::internal("not used");
    }
    bool ready() const override { return ready_; }

  private:
    std::string id_;
    std::vector<pki::X509Ptr> chain_;
    bool ready_;
};

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, ReportsCountersListenerIssuersAndDisk) {
    test::TempDir dir;
    audit::ProfileCounters counters({"corp", "iot"});
    counters.increment("corp", audit::codes::kSimpleEnrollSuccess);
    counters.increment("corp", audit::codes::kSimpleEnrollSuccess);
    counters.increment("iot", audit::codes::kAuthFailedBasic);
    FixedIssuer local("iss-local", true);
    FixedIssuer hsm("iss-hsm", false);
    MetricsCollector metrics({&counters, {&local, &hsm}, dir.path()});
    net::ServerStats stats;
    stats.active_connections = 3;
    stats.accepted_connections = 40;
    stats.rejected_connections = 1;
    stats.tls_handshake_failures = 2;
    stats.requests = 97;
    metrics.observe_server([&stats] { return stats; });

    const std::string text = prometheus_text(metrics);
    EXPECT_TRUE(has_line(text, std::string("estd_build_info{version=\"") + kVersion + "\"} 1"))
        << text;
    EXPECT_TRUE(has_line(text, "# TYPE estd_est_audit_events_total counter")) << text;
    EXPECT_TRUE(has_line(
        text,
        "estd_est_audit_events_total{profile=\"corp\",action=\"est_simple_enroll_success\"} 2"))
        << text;
    EXPECT_TRUE(has_line(
        text, "estd_est_audit_events_total{profile=\"iot\",action=\"est_auth_failed_basic\"} 1"))
        << text;
    // Every counted code of every profile is there, zeros included, so a
    // rate() has a series from the first scrape.
    EXPECT_TRUE(has_line(
        text,
        "estd_est_audit_events_total{profile=\"iot\",action=\"est_simple_enroll_success\"} 0"))
        << text;
    EXPECT_TRUE(has_line(text, "estd_connections_open 3")) << text;
    EXPECT_TRUE(has_line(text, "estd_connections_accepted_total 40")) << text;
    EXPECT_TRUE(has_line(text, "estd_connections_rejected_total 1")) << text;
    EXPECT_TRUE(has_line(text, "estd_tls_handshake_failures_total 2")) << text;
    EXPECT_TRUE(has_line(text, "estd_http_requests_total 97")) << text;
    EXPECT_TRUE(has_line(text, "estd_issuer_ready{issuer=\"iss-local\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "estd_issuer_ready{issuer=\"iss-hsm\"} 0")) << text;
    EXPECT_NE(text.find("\nestd_data_dir_available_bytes "), std::string::npos) << text;

    // Read again at each scrape.
    stats.requests = 98;
    EXPECT_TRUE(has_line(prometheus_text(metrics), "estd_http_requests_total 98"));
}

TEST(Metrics, EstRequestTimesGoToAHistogramPerOperation) {
    audit::ProfileCounters counters({"corp"});
    MetricsCollector metrics({&counters, {}, {}});
    using std::chrono::microseconds;
    metrics.observe_est(est::Operation::simpleenroll, microseconds(800));
    metrics.observe_est(est::Operation::simpleenroll, microseconds(3000));
    metrics.observe_est(est::Operation::cacerts, microseconds(100));

    const std::string text = prometheus_text(metrics);
    const std::string enroll =
        "estd_est_request_duration_seconds_bucket{operation=\"simpleenroll\",";
    EXPECT_TRUE(has_line(text, "# TYPE estd_est_request_duration_seconds histogram")) << text;
    EXPECT_TRUE(has_line(text, enroll + "le=\"0.0005\"} 0")) << text;
    EXPECT_TRUE(has_line(text, enroll + "le=\"0.001\"} 1")) << text;
    EXPECT_TRUE(has_line(text, enroll + "le=\"0.005\"} 2")) << text;
    EXPECT_TRUE(has_line(text, enroll + "le=\"+Inf\"} 2")) << text;
    EXPECT_TRUE(
        has_line(text, "estd_est_request_duration_seconds_count{operation=\"simpleenroll\"} 2"))
        << text;
    EXPECT_TRUE(has_line(text, "estd_est_request_duration_seconds_count{operation=\"cacerts\"} 1"))
        << text;
    // Every operation has its series from the start.
    EXPECT_TRUE(has_line(text, "estd_est_request_duration_seconds_count{operation=\"fullcmc\"} 0"))
        << text;
}

TEST(Metrics, WithoutAListenerOrADataDirectoryThoseFamiliesAreLeftOut) {
    audit::ProfileCounters counters({"corp"});
    MetricsCollector metrics({&counters, {}, "/nonexistent/estd-data"});
    const std::string text = prometheus_text(metrics);
    EXPECT_EQ(text.find("estd_connections_open"), std::string::npos) << text;
    EXPECT_EQ(text.find("estd_data_dir_available_bytes"), std::string::npos) << text;
    EXPECT_NE(text.find("estd_est_audit_events_total"), std::string::npos) << text;
}

}  // namespace
}  // namespace estd::http
