// EstService and the store: an issued certificate is recorded before the
// answer, and a failed write answers 503 without a certificate.
#include <functional>
#include <optional>

#include <gtest/gtest.h>

#include "estd/audit/counters.hpp"
#include "estd/est/est_service.hpp"
#include "estd/http/error_status.hpp"
#include "estd/issuer/local_issuer.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/crl.hpp"
#include "estd/store/sqlite_store.hpp"
#include "support/est_service_parts.hpp"
#include "support/test_pki.hpp"

namespace estd::est {
namespace {

// Keeps every event but reports each write as failed (audit log on a full
// disk).
class FullDiskSink final : public audit::AuditSink {
  public:
    Status record(const audit::AuditEvent& event) override {
        events.push_back(event);
        return Error::internal("cannot write the audit log: No space left on device");
    }
    std::vector<audit::AuditEvent> events;
};

// The real inventory's reads, for fakes that change how it writes.
class ReadingInventory : public store::CertificateInventory {
  public:
    explicit ReadingInventory(store::CertificateInventory& inner) : inner_(inner) {}
    Result<std::optional<store::CertificateRecord>> find_by_fingerprint(
        const std::string& fingerprint) override {
        return inner_.find_by_fingerprint(fingerprint);
    }
    Result<std::optional<store::CertificateRecord>> find_certificate(
        const std::string& issuer_id, const std::string& serial) override {
        return inner_.find_certificate(issuer_id, serial);
    }
    Result<store::CertificatePage> list_certificates(const store::CertificateQuery& q) override {
        return inner_.list_certificates(q);
    }

  protected:
    store::CertificateInventory& inner_;
};

// The real inventory, except that certificate writes fail: disk full.
class FullDiskInventory final : public ReadingInventory {
  public:
    using ReadingInventory::ReadingInventory;
    Status add_certificate(const store::CertificateRecord&) override {
        return Error::internal("store: database or disk is full");
    }
};

// The real inventory, except that a commit completes only when the test
// says so, and its outcome is the test's.
class HeldCommitInventory final : public ReadingInventory {
  public:
    using ReadingInventory::ReadingInventory;
    Status add_certificate(const store::CertificateRecord& record) override {
        return inner_.add_certificate(record);
    }
    void add_certificate_then(const store::CertificateRecord& record,
                              Committed committed) override {
        held_record = record;
        held = std::move(committed);
    }
    bool commits_without_waiting() const override { return true; }

    std::optional<store::CertificateRecord> held_record;
    Committed held;
};

// A ledger on a full disk: no revocation can be recorded.
class FullDiskLedger final : public store::RevocationLedger {
  public:
    Result<std::vector<store::RevokedCertificate>> revoke(
        const store::RevocationRequest&) override {
        return Error::internal("store: database or disk is full");
    }
    Result<std::vector<store::CrlEntry>> crl_entries(const std::string&,
                                                     store::TimePoint) override {
        return std::vector<store::CrlEntry>{};
    }
    Result<std::uint64_t> revoked_count(const std::string&) override { return 0; }
    Result<std::uint64_t> next_crl_number(const std::string&) override {
        return Error::internal("store: database or disk is full");
    }
};

class EstInventoryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ca_key_ = test::make_ec_key();
        ca_ = test::make_self_signed_ca("Inventory Test CA", ca_key_.get());
        issuer_ = test::local_issuer(dir_, ca_.get(), ca_key_.get());
        ASSERT_NE(issuer_, nullptr);
        auto opened = store::open_sqlite_store(dir_.path() / "estd.db");
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(*opened);
        counters_ = std::make_unique<audit::ProfileCounters>(std::vector<std::string>{"iot"});
        audit_to(sink_);
    }

    // The service, with profile "iot", auditing to `sink`.
    void audit_to(audit::AuditSink& sink) {
        config::EstProfileConfig cfg;
        cfg.name = cfg.path_id = "iot";
        cfg.env_prefix = "CERTCTL_EST_PROFILE_IOT_";
        cfg.profile_id = "cp-iot";
        auto made = make_est_profile(cfg, *issuer_);
        ASSERT_TRUE(made) << made.error().message;
        std::vector<EstProfile> profiles;
        profiles.push_back(std::move(*made));
        service_ = std::make_unique<EstService>(std::move(profiles), sink, *counters_,
                                                std::chrono::hours(24), http::status_of);
    }

    Result<EstAnswer> enroll() {
        const auto key = test::make_ec_key();
        const std::string body = pki::base64_encode_lines(test::make_csr(key.get(), "sensor-7"));
        pki::PeerIdentity peer;
        peer.address = "198.51.100.7";
        return service_->handle(EstCall{{RouteFamily::est, "iot", Operation::simpleenroll},
                                        body,
                                        {},
                                        {},
                                        peer,
                                        RequestContext{"request-7", "198.51.100.7"}});
    }

    // An enrollment answered through callbacks: `rest` gets what resume was
    // handed, `answer` the answer.
    void enroll_deferred(std::function<void()>& rest, std::optional<Result<EstAnswer>>& answer) {
        const auto key = test::make_ec_key();
        const std::string body = pki::base64_encode_lines(test::make_csr(key.get(), "sensor-8"));
        pki::PeerIdentity peer;
        peer.address = "198.51.100.8";
        service_->handle(
            EstCall{{RouteFamily::est, "iot", Operation::simpleenroll},
                    body,
                    {},
                    {},
                    peer,
                    RequestContext{"request-8", "198.51.100.8"}},
            [&rest](std::function<void()> work) { rest = std::move(work); },
            [&answer](Result<EstAnswer> answered) { answer = std::move(answered); });
    }

    test::TempDir dir_;
    pki::EvpPkeyPtr ca_key_;
    pki::X509Ptr ca_;
    std::unique_ptr<issuer::LocalIssuer> issuer_;
    std::unique_ptr<store::Store> store_;
    test::RecordingSink sink_;
    std::unique_ptr<audit::ProfileCounters> counters_;
    std::unique_ptr<EstService> service_;
};

TEST_F(EstInventoryTest, TheIssuedCertificateIsRecordedBeforeTheAnswer) {
    service_->use_store(*store_, *store_, nullptr);
    const auto res = enroll();
    ASSERT_TRUE(res) << res.error().message;
    auto page = store_->list_certificates({});
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 1U);
    const auto& record = page->items[0];
    EXPECT_EQ(record.issuer_id, "iss-local");
    EXPECT_EQ(record.source, "EST");
    EXPECT_EQ(record.est_profile, "iot");
    EXPECT_EQ(record.profile_id, "cp-iot");
    EXPECT_EQ(record.common_name, "sensor-7");
    EXPECT_EQ(record.auth_mode, "anonymous");
    EXPECT_EQ(record.source_ip, "198.51.100.7");
    EXPECT_EQ(record.request_id, "request-7");
    EXPECT_EQ(record.fingerprint.size(), 64U);
    EXPECT_EQ(record.public_key_sha256.size(), 64U);
    ASSERT_FALSE(sink_.events.empty());
    EXPECT_EQ(sink_.events.back().serial, record.serial);
}

// No thread waits for the commit, and nothing is answered or audited before
// it completes; the rest of the call runs where resume puts it.
TEST_F(EstInventoryTest, TheAnswerFollowsTheCommitWithoutAWaitingThread) {
    HeldCommitInventory held(*store_);
    service_->use_store(held, *store_, nullptr);
    std::function<void()> rest;
    std::optional<Result<EstAnswer>> answer;
    enroll_deferred(rest, answer);
    ASSERT_TRUE(held.held);  // handle() returned with the commit in flight
    ASSERT_TRUE(held.held_record);
    EXPECT_FALSE(answer);
    EXPECT_FALSE(rest);
    EXPECT_TRUE(sink_.events.empty());

    ASSERT_TRUE(store_->add_certificate(*held.held_record));
    held.held(Ok{});
    EXPECT_FALSE(answer);  // the committing thread only hands the rest over
    ASSERT_TRUE(rest);
    rest();
    ASSERT_TRUE(answer);
    ASSERT_TRUE(*answer) << answer->error().message;
    EXPECT_EQ((*answer)->content, EstContent::certs_only);
    ASSERT_EQ(sink_.events.size(), 1U);
    EXPECT_EQ(sink_.events.back().action, "est_simple_enroll_success");
    EXPECT_EQ(sink_.events.back().serial, held.held_record->serial);
    EXPECT_EQ(sink_.events.back().request_id, "request-8");
}

TEST_F(EstInventoryTest, ACommitThatFailsLaterAnswers503AndNoCertificate) {
    HeldCommitInventory held(*store_);
    service_->use_store(held, *store_, nullptr);
    std::function<void()> rest;
    std::optional<Result<EstAnswer>> answer;
    enroll_deferred(rest, answer);
    ASSERT_TRUE(held.held);
    held.held(Error::internal("store: database or disk is full"));
    ASSERT_TRUE(rest);
    rest();
    ASSERT_TRUE(answer);
    ASSERT_FALSE(*answer);  // no certificate
    EXPECT_EQ(answer->error().kind, ErrorKind::unavailable);
    EXPECT_NE(answer->error().message.find("could not be recorded"), std::string::npos);
    ASSERT_EQ(sink_.events.size(), 1U);
    EXPECT_EQ(sink_.events.back().action, "est_simple_enroll_failed");
    EXPECT_EQ(sink_.events.back().status, 503);
}

TEST_F(EstInventoryTest, AFailedWriteAnswers503AndNoCertificate) {
    FullDiskInventory full(*store_);
    service_->use_store(full, *store_, nullptr);
    const auto res = enroll();
    ASSERT_FALSE(res);  // no certificate
    EXPECT_EQ(res.error().kind, ErrorKind::unavailable);
    EXPECT_NE(res.error().message.find("could not be recorded"), std::string::npos)
        << res.error().message;
    ASSERT_FALSE(sink_.events.empty());
    EXPECT_EQ(sink_.events.back().action, "est_simple_enroll_failed");
    EXPECT_EQ(sink_.events.back().status, 503);
    // The disk error stays in the log, not in the client's answer.
    EXPECT_EQ(res.error().message.find("disk is full"), std::string::npos);
}

TEST_F(EstInventoryTest, AFailedAuditWriteAnswers503AndNoCertificate) {
    FullDiskSink full;
    audit_to(full);
    service_->use_store(*store_, *store_, nullptr);
    const auto res = enroll();
    ASSERT_FALSE(res);  // no certificate
    EXPECT_EQ(res.error().kind, ErrorKind::unavailable);
    EXPECT_NE(res.error().message.find("audit"), std::string::npos) << res.error().message;
    // The success line was attempted, then the refusal.
    ASSERT_EQ(full.events.size(), 2U);
    EXPECT_EQ(full.events[0].action, "est_simple_enroll_success");
    EXPECT_EQ(full.events[1].action, "est_simple_enroll_failed");
    EXPECT_EQ(full.events[1].status, 503);
    EXPECT_EQ(counters_->value("iot", "est_simple_enroll_success"), 0U);
    EXPECT_EQ(counters_->value("iot", "est_simple_enroll_failed"), 1U);
    // The certificate was signed and recorded, never delivered: it is revoked,
    // and the answer and the refusal's audit row name it.
    auto page = store_->list_certificates({});
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 1U);
    const auto& record = page->items[0];
    ASSERT_TRUE(record.revocation.has_value());
    EXPECT_EQ(record.revocation->reason, pki::kCrlReasonCessationOfOperation);
    EXPECT_EQ(record.revocation->actor, kWithheldActor);
    EXPECT_NE(res.error().message.find("serial " + record.serial +
                                       ") was issued but is withheld and revoked"),
              std::string::npos)
        << res.error().message;
    EXPECT_NE(full.events[1].reason.find(record.serial), std::string::npos)
        << full.events[1].reason;
}

TEST_F(EstInventoryTest, AWithheldCertificateThatCannotBeRevokedSaysSo) {
    FullDiskSink full;
    FullDiskLedger no_revocations;
    audit_to(full);
    service_->use_store(*store_, no_revocations, nullptr);
    const auto res = enroll();
    ASSERT_FALSE(res);  // no certificate
    EXPECT_EQ(res.error().kind, ErrorKind::unavailable);
    EXPECT_NE(res.error().message.find("was issued but is withheld: its audit record"),
              std::string::npos)
        << res.error().message;
    auto page = store_->list_certificates({});
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 1U);
    EXPECT_FALSE(page->items[0].revocation.has_value());
}

}  // namespace
}  // namespace estd::est
