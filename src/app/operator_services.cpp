#include "operator_services.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "estd/pki/certificate.hpp"
#include "estd/store/postgres_store.hpp"
#include "estd/store/sqlite_store.hpp"

namespace estd::app {
namespace {

std::vector<const issuer::Issuer*> observe(
    const std::vector<std::unique_ptr<issuer::Issuer>>& issuers) {
    std::vector<const issuer::Issuer*> out;
    out.reserve(issuers.size());
    for (const auto& issuer : issuers) {
        out.push_back(issuer.get());
    }
    return out;
}

// The admin endpoint's reload: every profile, or the one named.
http::TrustReloader trust_reloader(est::EstService& est) {
    return [&est](const std::string& actor, const std::optional<std::string>& path_id) {
        std::vector<http::TrustReloadOutcome> outcomes;
        for (auto& result : est.reload_trust_bundles(actor, path_id)) {
            outcomes.push_back({result.profile, result.reloaded, result.changed,
                                result.reloaded ? std::string() : result.detail});
        }
        return outcomes;
    };
}

}  // namespace

namespace {

Result<std::unique_ptr<store::Store>> open_store(const config::Config& cfg) {
    store::AuditRetention retention;
    retention.retention = cfg.audit_retention;
    if (!cfg.database_url.empty()) {
        store::PostgresOptions options;
        options.connections = cfg.database_max_connections;
        options.audit = retention;
        return store::open_postgres_store(cfg.database_url, options);
    }
    store::SqliteOptions options;
    options.audit = retention;
    return store::open_sqlite_store(std::filesystem::path(cfg.data_dir) / "estd.db", options);
}

}  // namespace

Result<Inventory> open_inventory(const config::Config& cfg, audit::AuditSink& audit_file) {
    auto opened = open_store(cfg);
    if (!opened) {
        return std::move(opened).take_error();
    }
    Inventory inventory;
    inventory.store = std::move(*opened);
    inventory.store_audit = std::make_unique<store::AuditArchiveSink>(*inventory.store);
    inventory.audit = std::make_unique<audit::FanOutSink>(
        std::vector<audit::AuditSink*>{&audit_file, inventory.store_audit.get()});
    spdlog::info("store: {}, schema {}; audit rows {}", config::describe_store(cfg),
                 cfg.database_url.empty() ? store::sqlite_schema_version()
                                          : store::postgres_schema_version(),
                 config::describe_audit_retention(cfg));
    return inventory;
}

OperatorServices::OperatorServices(const config::Config& cfg, const Runtime& runtime,
                                   Inventory& inventory, est::EstService& est,
                                   audit::ProfileCounters& counters)
    : est_(est) {
    crls_ = std::make_unique<revocation::CrlPublisher>(runtime.crl_signers, *inventory.store,
                                                       cfg.crl_generation_interval);
    ocsp_ = std::make_unique<revocation::OcspResponder>(runtime.crl_signers, *inventory.store,
                                                        cfg.crl_generation_interval);
    http::PkiRoutes::CaCertificates ca_certificates;
    for (const auto& issuer : runtime.issuers) {
        const auto der = pki::certificate_der(issuer->ca_certificate());
        ca_certificates.emplace(issuer->id(), std::string(der.begin(), der.end()));
    }
    pki_ = std::make_unique<http::PkiRoutes>(*crls_, *ocsp_, std::move(ca_certificates));
    http::AdminApi::Dependencies deps;
    deps.keys = cfg.api_keys;
    deps.certificates = inventory.store.get();
    deps.revocations = inventory.store.get();
    deps.audit_archive = inventory.store.get();
    deps.est = &est;
    deps.counters = &counters;
    deps.audit = inventory.audit.get();
    deps.crls = crls_.get();
    deps.reload_trust = trust_reloader(est);
    const auto observed = observe(runtime.issuers);
    readiness_ = std::make_unique<http::Readiness>(observed, inventory.store.get(), cfg.data_dir,
                                                   cfg.data_dir_min_free_mib * 1024 * 1024);
    metrics_ = std::make_unique<http::MetricsCollector>(
        http::MetricsCollector::Sources{&counters, observed, cfg.data_dir});
    deps.metrics = metrics_.get();
    deps.readiness = [this] { return readiness_->check(); };
    deps.store_backend = cfg.database_url.empty() ? "sqlite" : "postgresql";
    deps.issuers = observed;
    admin_ = std::make_unique<http::AdminApi>(std::move(deps));
    if (cfg.api_keys.empty()) {
        spdlog::warn("CERTCTL_API_KEYS_NAMED is empty: every operator API call is refused (401)");
    }
    if (!cfg.webhook.url.empty()) {
        auto sender = notify::make_webhook_sender(cfg.webhook.url);
        if (!sender) {
            spdlog::error("expiry notifications are off: {}", sender.error().message);
            return;
        }
        notify::ExpiryNotifier::Options options;
        options.scan_interval = cfg.webhook.scan_interval;
        notifier_ = std::make_unique<notify::ExpiryNotifier>(*inventory.store, cfg.webhook.secret,
                                                             std::move(*sender), options);
    }
}

OperatorServices::~OperatorServices() {
    stop();
}

void OperatorServices::mount(http::Router& router) {
    router.mount_admin_api(*admin_);
    router.mount_pki_routes(*pki_);
    router.time_est_requests(*metrics_);
}

void OperatorServices::observe_server(const net::Server& server) {
    metrics_->observe_server([&server] { return server.stats(); });
}

void OperatorServices::start() {
    crls_->start();
    if (notifier_) {
        notifier_->start();
    }
    summary_thread_ = std::thread([this] { summarize_reads_periodically(); });
}

void OperatorServices::stop() {
    {
        std::lock_guard lock(summary_mutex_);
        summary_stopping_ = true;
    }
    summary_wake_.notify_all();
    if (summary_thread_.joinable()) {
        summary_thread_.join();
    }
    est_.summarize_reads();  // what was answered since the last one
    if (notifier_) {
        notifier_->stop();
    }
    crls_->stop();
}

void OperatorServices::summarize_reads_periodically() {
    std::unique_lock lock(summary_mutex_);
    while (!summary_wake_.wait_for(lock, est::kReadSummaryInterval,
                                   [this] { return summary_stopping_; })) {
        lock.unlock();
        est_.summarize_reads();
        lock.lock();
    }
}

}  // namespace estd::app
