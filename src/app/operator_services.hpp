#pragma once

// The store and what hangs off it: audit rows, CRLs, OCSP, the operator API,
// metrics, readiness and expiry notifications, assembled for `estd serve`.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "estd/audit/audit_log.hpp"
#include "estd/audit/counters.hpp"
#include "estd/audit/fan_out.hpp"
#include "estd/config/config.hpp"
#include "estd/est/est_service.hpp"
#include "estd/http/admin_api.hpp"
#include "estd/http/metrics.hpp"
#include "estd/http/pki_routes.hpp"
#include "estd/http/readiness.hpp"
#include "estd/http/router.hpp"
#include "estd/notify/expiry_notifier.hpp"
#include "estd/revocation/crl_publisher.hpp"
#include "estd/revocation/ocsp_responder.hpp"
#include "estd/store/audit_archive_sink.hpp"
#include "estd/store/store.hpp"
#include "runtime.hpp"

namespace estd::app {

// Opened before the EST service, which records into it.
struct Inventory {
    std::unique_ptr<store::Store> store;
    std::unique_ptr<store::AuditArchiveSink> store_audit;
    std::unique_ptr<audit::FanOutSink> audit;  // the JSON-lines file and the store
};

// <data dir>/estd.db
Result<Inventory> open_inventory(const config::Config& cfg, audit::AuditSink& audit_file);

class OperatorServices {
  public:
    OperatorServices(const config::Config& cfg, const Runtime& runtime, Inventory& inventory,
                     est::EstService& est, audit::ProfileCounters& counters);
    ~OperatorServices();

    void mount(http::Router& router);
    // The listener whose counts the metrics report; before serving.
    void observe_server(const net::Server& server);
    // What /readyz answers: the issuers and the data directory's free space.
    Status ready() const { return readiness_->check(); }
    // Builds the CRLs, then starts their refresh, the expiry scans and the
    // periodic summary of successful cacerts/csrattrs answers.
    void start();
    // Stops them; the last summary is written here.
    void stop();

  private:
    void summarize_reads_periodically();

    est::EstService& est_;
    std::mutex summary_mutex_;
    std::condition_variable summary_wake_;
    bool summary_stopping_ = false;
    std::thread summary_thread_;
    std::unique_ptr<revocation::CrlPublisher> crls_;
    std::unique_ptr<revocation::OcspResponder> ocsp_;
    std::unique_ptr<http::PkiRoutes> pki_;
    std::unique_ptr<http::Readiness> readiness_;
    std::unique_ptr<http::MetricsCollector> metrics_;
    std::unique_ptr<http::AdminApi> admin_;
    std::unique_ptr<notify::ExpiryNotifier> notifier_;
};

}  // namespace estd::app
