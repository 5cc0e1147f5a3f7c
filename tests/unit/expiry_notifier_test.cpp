// The expiry notifier against a fake of the one store capability it uses:
// what it sends, when it marks a notice delivered, and when it tries again.
#include "estd/notify/expiry_notifier.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace estd::notify {
namespace {

using namespace std::chrono_literals;

// Pending notices in memory: a certificate is pending for a threshold until
// it is marked delivered for it.
class FakeNotices final : public store::ExpiryNotices {
  public:
    Result<std::vector<store::CertificateRecord>> pending_expiry_notices(
        int threshold_days, store::TimePoint, std::size_t limit) override {
        std::vector<store::CertificateRecord> out;
        for (const auto& cert : certificates) {
            if (out.size() < limit && !delivered(cert.serial, threshold_days)) {
                out.push_back(cert);
            }
        }
        return out;
    }
    Status mark_expiry_notice_delivered(const std::string& issuer_id, const std::string& serial,
                                        int threshold_days, store::TimePoint) override {
        marked.push_back(issuer_id + "/" + serial + "/" + std::to_string(threshold_days));
        return Ok{};
    }
    bool delivered(const std::string& serial, int threshold_days) const {
        const auto suffix = "/" + serial + "/" + std::to_string(threshold_days);
        return std::any_of(marked.begin(), marked.end(),
                           [&](const std::string& m) { return m.ends_with(suffix); });
    }

    std::vector<store::CertificateRecord> certificates;
    std::vector<std::string> marked;
};

struct Sent {
    std::string body;
    std::vector<HttpHeader> headers;
};

std::string header(const Sent& sent, std::string_view name) {
    for (const auto& h : sent.headers) {
        if (h.name == name) {
            return h.value;
        }
    }
    return {};
}

store::CertificateRecord expiring(const std::string& serial) {
    store::CertificateRecord cert;
    cert.issuer_id = "iss-a";
    cert.serial = serial;
    cert.common_name = "device-" + serial;
    cert.not_after = std::chrono::system_clock::now() + 12h;
    return cert;
}

ExpiryNotifier::Options quick() {
    ExpiryNotifier::Options options;
    options.attempts_per_scan = 2;
    options.first_backoff = 1ms;
    options.max_backoff = 1ms;
    return options;
}

TEST(ExpiryNotifier, EachNoticeIsSentSignedOnceAndMarkedDelivered) {
    FakeNotices notices;
    notices.certificates = {expiring("0a"), expiring("0b")};
    std::vector<Sent> sent;
    ExpiryNotifier notifier(
        notices, "webhook-secret",
        [&sent](const std::string& body,
                const std::vector<HttpHeader>& headers) -> Result<unsigned> {
            sent.push_back({body, headers});
            return 204U;
        },
        quick());
    // Every threshold finds both certificates: 12 hours is within 30, 7 and 1 days.
    EXPECT_EQ(notifier.scan_once(), 6U);
    EXPECT_EQ(notifier.scan_once(), 0U);
    ASSERT_EQ(sent.size(), 6U);
    EXPECT_EQ(notices.marked.front(), "iss-a/0a/30");
    EXPECT_EQ(notices.marked.back(), "iss-a/0b/1");
    EXPECT_EQ(header(sent.front(), kSignatureHeader),
              webhook_signature("webhook-secret", sent.front().body));
    EXPECT_EQ(header(sent.front(), kEventHeader), "cert.expiring_soon");
    EXPECT_NE(sent.front().body.find("device-0a"), std::string::npos) << sent.front().body;
}

TEST(ExpiryNotifier, AnUndeliveredNoticeStaysPendingForTheNextScan) {
    FakeNotices notices;
    notices.certificates = {expiring("0c")};
    unsigned answer = 503;
    int attempts = 0;
    ExpiryNotifier notifier(
        notices, "webhook-secret",
        [&](const std::string&, const std::vector<HttpHeader>&) -> Result<unsigned> {
            ++attempts;
            return answer;
        },
        quick());
    EXPECT_EQ(notifier.scan_once(), 0U);
    EXPECT_EQ(attempts, 2);  // attempts_per_scan, then the scan stops
    EXPECT_TRUE(notices.marked.empty());
    answer = 200;
    EXPECT_EQ(notifier.scan_once(), 3U);
    EXPECT_EQ(notices.marked.size(), 3U);
}

}  // namespace
}  // namespace estd::notify
