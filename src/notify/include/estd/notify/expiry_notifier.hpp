#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/notify/webhook_client.hpp"
#include "estd/store/expiry_notices.hpp"

namespace estd::notify {

// Days before NotAfter at which cert.expiring_soon is sent, as the guide's
// scheduler does.
inline constexpr std::array<int, 3> kExpiryThresholdsDays = {30, 7, 1};

inline constexpr std::string_view kSignatureHeader = "X-Estd-Signature";
inline constexpr std::string_view kEventHeader = "X-Estd-Event";
inline constexpr std::string_view kDeliveryHeader = "X-Estd-Delivery";

// "sha256=" + lower-case hex HMAC-SHA256(secret, body): the value of
// X-Estd-Signature, over the exact bytes of the body.
std::string webhook_signature(std::string_view secret, std::string_view body);

// The event for one certificate and threshold. `id` is stable for the pair
// (a receiver can de-duplicate on it).
std::string expiring_soon_event(const store::CertificateRecord& cert, int threshold_days,
                                std::chrono::system_clock::time_point now);

// Sends the event, answers the HTTP status (2xx is delivered).
using WebhookSender = std::function<Result<unsigned>(const std::string& body,
                                                     const std::vector<HttpHeader>& headers)>;

// Scans the store every scan_interval for certificates crossing 30/7/1 days
// before NotAfter and POSTs one signed cert.expiring_soon per (certificate,
// threshold). A delivery is recorded in the store once the receiver answers
// 2xx, so a restart does not send it again; a failed one is retried with
// exponential backoff (1 s, 2 s, 4 s, ... capped) within the scan and again
// at the next scan.
class ExpiryNotifier {
  public:
    struct Options {
        std::chrono::seconds scan_interval{3600};
        int attempts_per_scan = 4;
        std::chrono::milliseconds first_backoff{1000};
        std::chrono::milliseconds max_backoff{30000};
        std::size_t max_per_scan = 500;  // per threshold
    };

    ExpiryNotifier(store::ExpiryNotices& notices, std::string secret, WebhookSender sender,
                   Options options);
    ~ExpiryNotifier();
    ExpiryNotifier(const ExpiryNotifier&) = delete;
    ExpiryNotifier& operator=(const ExpiryNotifier&) = delete;

    void start();  // a scan now, then every scan_interval
    void stop();
    // One pass over every threshold; returns how many events were delivered.
    std::size_t scan_once();

  private:
    bool deliver(const store::CertificateRecord& cert, int threshold_days);
    void loop();
    // Sleeps up to `duration`; false when stopping.
    bool pause(std::chrono::milliseconds duration);

    store::ExpiryNotices& notices_;
    std::string secret_;
    WebhookSender sender_;
    Options options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

// The sender for a configured webhook URL (http or https, 10 s per step).
Result<WebhookSender> make_webhook_sender(const std::string& url);

}  // namespace estd::notify
