#include "estd/notify/expiry_notifier.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include "estd/core/hex.hpp"
#include "estd/core/time_format.hpp"
#include "estd/pki/digest.hpp"

namespace estd::notify {
namespace {

std::string event_id(const store::CertificateRecord& cert, int threshold_days) {
    const std::string key = "cert.expiring_soon|" + cert.issuer_id + "|" + cert.serial + "|" +
                            std::to_string(threshold_days);
    const pki::Sha256 digest = pki::sha256(key).value_or(pki::Sha256{});
    return to_hex(std::span(digest).first(16));
}

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view body) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &length);
    return "sha256=" + to_hex(std::span(mac.data(), length));
}

std::string expiring_soon_event(const store::CertificateRecord& cert, int threshold_days,
                                std::chrono::system_clock::time_point now) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(cert.not_after - now);
    nlohmann::json event = {{"id", event_id(cert, threshold_days)},
                            {"type", "cert.expiring_soon"},
                            {"time", format_utc_rfc3339(now)},
                            {"data",
                             {{"threshold_days", threshold_days},
                              {"seconds_left", left.count()},
                              {"serial", cert.serial},
                              {"issuer_id", cert.issuer_id},
                              {"source", cert.source},
                              {"est_profile", cert.est_profile},
                              {"profile_id", cert.profile_id},
                              {"subject", cert.subject},
                              {"common_name", cert.common_name},
                              {"subject_alt_names", cert.subject_alt_names},
                              {"not_after", format_utc_rfc3339(cert.not_after)},
                              {"fingerprint_sha256", cert.fingerprint}}}};
    return event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ExpiryNotifier::ExpiryNotifier(store::ExpiryNotices& notices, std::string secret,
                               WebhookSender sender, Options options)
    : notices_(notices), secret_(std::move(secret)), sender_(std::move(sender)), options_(options) {
}

ExpiryNotifier::~ExpiryNotifier() {
    stop();
}

void ExpiryNotifier::start() {
    thread_ = std::thread([this] { loop(); });
}

void ExpiryNotifier::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool ExpiryNotifier::pause(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, duration, [this] { return stopping_; });
}

void ExpiryNotifier::loop() {
    do {
        scan_once();
    } while (pause(options_.scan_interval));
}

std::size_t ExpiryNotifier::scan_once() {
    std::size_t delivered = 0;
    for (const int threshold : kExpiryThresholdsDays) {
        auto pending = notices_.pending_expiry_notices(threshold, std::chrono::system_clock::now(),
                                                       options_.max_per_scan);
        if (!pending) {
            spdlog::error("expiry notifications: {}", pending.error().message);
            return delivered;
        }
        for (const auto& cert : *pending) {
            if (!deliver(cert, threshold)) {
                return delivered;  // stopping, or the receiver is down: next scan
            }
            ++delivered;
        }
    }
    return delivered;
}

bool ExpiryNotifier::deliver(const store::CertificateRecord& cert, int threshold_days) {
    const auto body = expiring_soon_event(cert, threshold_days, std::chrono::system_clock::now());
    const std::vector<HttpHeader> headers = {
        {std::string(kSignatureHeader), webhook_signature(secret_, body)},
        {std::string(kEventHeader), "cert.expiring_soon"},
        {std::string(kDeliveryHeader), event_id(cert, threshold_days)},
    };
    auto backoff = options_.first_backoff;
    for (int attempt = 1; attempt <= options_.attempts_per_scan; ++attempt) {
        auto status = sender_(body, headers);
        if (status && *status >= 200 && *status < 300) {
            if (auto marked = notices_.mark_expiry_notice_delivered(
                    cert.issuer_id, cert.serial, threshold_days, std::chrono::system_clock::now());
                !marked) {
                spdlog::error("expiry notifications: {}", marked.error().message);
            }
            spdlog::info("cert.expiring_soon ({} days) delivered for serial {}", threshold_days,
                         cert.serial);
            return true;
        }
        spdlog::warn("cert.expiring_soon for serial {} not delivered (attempt {}): {}", cert.serial,
                     attempt, status ? "HTTP " + std::to_string(*status) : status.error().message);
        if (attempt == options_.attempts_per_scan || !pause(backoff)) {
            break;
        }
        backoff = std::min(backoff * 2, options_.max_backoff);
    }
    return false;
}

Result<WebhookSender> make_webhook_sender(const std::string& url) {
    auto parsed = parse_webhook_url(url);
    if (!parsed) {
        return std::move(parsed).take_error();
    }
    return WebhookSender(
        [target = *parsed](const std::string& body, const std::vector<HttpHeader>& headers) {
            return post_json(target, body, headers, std::chrono::seconds(10));
        });
}

}  // namespace estd::notify
