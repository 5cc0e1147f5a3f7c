#include <gtest/gtest.h>

#include "estd/audit/counters.hpp"
#include "estd/http/error_status.hpp"
#include "estd/http/router.hpp"
#include "estd/store/shared_counts.hpp"
#include "estd/store/sqlite_store.hpp"
#include "support/est_service_parts.hpp"
#include "support/test_pki.hpp"

namespace estd::http {
namespace {

TEST(HttpRouterTest, ParsesProfileLegacyAndMtlsRoutes) {
    auto legacy = parse_est_path("/.well-known/est/cacerts");
    ASSERT_TRUE(legacy && *legacy);
    EXPECT_EQ((*legacy)->path_id, "");
    EXPECT_EQ((*legacy)->operation, est::Operation::cacerts);
    EXPECT_EQ((*legacy)->family, est::RouteFamily::est);

    auto profile = parse_est_path("/.well-known/est/corp/simpleenroll");
    ASSERT_TRUE(profile && *profile);
    EXPECT_EQ((*profile)->path_id, "corp");
    EXPECT_EQ((*profile)->operation, est::Operation::simpleenroll);

    auto mtls = parse_est_path("/.well-known/est-mtls/iot/simplereenroll");
    ASSERT_TRUE(mtls && *mtls);
    EXPECT_EQ((*mtls)->family, est::RouteFamily::est_mtls);
    EXPECT_EQ((*mtls)->path_id, "iot");
    EXPECT_EQ((*mtls)->operation, est::Operation::simplereenroll);
}

TEST(HttpRouterTest, LabelLessMtlsRoutesReachTheDefaultProfile) {
    auto mtls = parse_est_path("/.well-known/est-mtls/simpleenroll");
    ASSERT_TRUE(mtls && *mtls);
    EXPECT_EQ((*mtls)->family, est::RouteFamily::est_mtls);
    EXPECT_EQ((*mtls)->path_id, "");
    EXPECT_EQ((*mtls)->operation, est::Operation::simpleenroll);
}

TEST(HttpRouterTest, UnknownOperationsAndShapesAre404) {
    for (const char* path :
         {"/.well-known/est/", "/.well-known/est/corp/", "/.well-known/est/corp/nosuch",
          "/.well-known/est//cacerts", "/.well-known/est/a/b/cacerts",
          "/.well-known/est-mtls/nosuch", "/.well-known/est/nosuch"}) {
        auto route = parse_est_path(path);
        ASSERT_TRUE(route.has_value()) << path;
        ASSERT_FALSE(*route) << path;
        EXPECT_EQ(route->error().kind, ErrorKind::not_found) << path;
    }
}

TEST(HttpRouterTest, OtherPathsAreNotEst) {
    EXPECT_FALSE(parse_est_path("/healthz").has_value());
    EXPECT_FALSE(parse_est_path("/.well-known/estx/cacerts").has_value());
    EXPECT_FALSE(parse_est_path("/api/v1/audit").has_value());
}

net::Request request(boost::beast::http::verb method, const char* target) {
    return net::Request{method, target, 11};
}

// An inventory whose commit the caller waits for (add_certificate_then's
// default).
class WaitingInventory final : public store::CertificateInventory {
  public:
    Status add_certificate(const store::CertificateRecord&) override { return Ok{}; }
    Result<std::optional<store::CertificateRecord>> find_by_fingerprint(
        const std::string&) override {
        return std::optional<store::CertificateRecord>{};
    }
    Result<std::optional<store::CertificateRecord>> find_certificate(const std::string&,
                                                                     const std::string&) override {
        return std::optional<store::CertificateRecord>{};
    }
    Result<store::CertificatePage> list_certificates(const store::CertificateQuery&) override {
        return store::CertificatePage{};
    }
};

class HttpRouterThreadTest : public ::testing::Test {
  protected:
    void SetUp() override {
        issuer_ = test::local_issuer(dir_, ca_.get(), ca_key_.get());
        ASSERT_NE(issuer_, nullptr);
        std::vector<est::EstProfile> profiles;
        profiles.push_back(test::est_profile("corp", *issuer_, [](auto&) {}));
        profiles.push_back(test::est_profile("capped", *issuer_,
                                             [](auto& c) { c.rate_limit_per_principal_24h = 5; }));
        profiles.push_back(test::est_profile("basic", *issuer_, [](auto& c) {
            c.auth_basic = true;
            c.enrollment_password = "router-password";
        }));
        service_ = std::make_unique<est::EstService>(std::move(profiles), sink_, counters_,
                                                     std::chrono::hours(24), status_of);
        auto opened = store::open_sqlite_store(dir_.path() / "estd.db");
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(*opened);
    }

    test::TempDir dir_;
    pki::EvpPkeyPtr ca_key_ = test::make_ec_key();
    pki::X509Ptr ca_ = test::make_self_signed_ca("Router Test CA", ca_key_.get());
    std::unique_ptr<issuer::LocalIssuer> issuer_;
    test::RecordingSink sink_;
    audit::ProfileCounters counters_{std::vector<std::string>{"corp", "capped", "basic"}};
    std::unique_ptr<est::EstService> service_;
    std::unique_ptr<store::Store> store_;
};

TEST_F(HttpRouterThreadTest, OnlyRequestsThatNeverWaitRunOnTheIoThread) {
    using boost::beast::http::verb;
    service_->use_store(*store_, *store_, nullptr);
    const Router router(*service_, [] { return Status{Ok{}}; });
    for (const char* target :
         {"/healthz", "/est", "/est/app.js", "/.well-known/est/cacerts",
          "/.well-known/est/corp/cacerts?x=1", "/.well-known/est/corp/csrattrs"}) {
        EXPECT_TRUE(router.answers_at_once(request(verb::get, target))) << target;
        EXPECT_TRUE(router.answers_at_once(request(verb::head, target))) << target;
    }
    // The key is in memory and the embedded store's writer completes the
    // commit: nothing in it waits.
    EXPECT_TRUE(router.answers_at_once(request(verb::post, "/.well-known/est/corp/simpleenroll")));
    for (const char* target :
         {"/.well-known/est/corp/serverkeygen", "/.well-known/est/corp/simplereenroll",
          "/.well-known/est-mtls/corp/cacerts", "/.well-known/est-mtls/corp/simpleenroll",
          "/readyz", "/api/v1/audit", "/.well-known/pki/ocsp/MEow"}) {
        EXPECT_FALSE(router.answers_at_once(request(verb::post, target))) << target;
        EXPECT_FALSE(router.answers_at_once(request(verb::get, target))) << target;
    }
    EXPECT_FALSE(router.answers_at_once(request(verb::post, "/est")));
}

TEST_F(HttpRouterThreadTest, AnEnrollmentWhoseCommitWaitsRunsOnAWorker) {
    WaitingInventory waiting;
    service_->use_store(waiting, *store_, nullptr);
    const Router router(*service_, [] { return Status{Ok{}}; });
    EXPECT_FALSE(router.answers_at_once(
        request(boost::beast::http::verb::post, "/.well-known/est/corp/simpleenroll")));
}

// Counts kept in a database several estd share: checking them is a read.
class DatabaseCounts final : public store::SharedCounts {
  public:
    Result<std::vector<store::CountedStep>> counted(store::CountedEvent, const std::string&,
                                                    const std::string&, store::TimePoint) override {
        return std::vector<store::CountedStep>{};
    }
    Status count(store::CountedEvent, const std::string&, const std::string&, store::TimePoint,
                 store::TimePoint) override {
        return Ok{};
    }
};

// With a shared database, only the profiles whose limits count there wait
// for it before signing; the others commit by callback as on the embedded
// store.
TEST_F(HttpRouterThreadTest, OnlyEnrollmentsWhoseLimitsReadASharedStoreRunOnAWorker) {
    using boost::beast::http::verb;
    const Router router(*service_, [] { return Status{Ok{}}; });
    const auto at_once = [&](const char* profile) {
        const std::string target = std::string("/.well-known/est/") + profile + "/simpleenroll";
        return router.answers_at_once(request(verb::post, target.c_str()));
    };
    service_->use_store(*store_, *store_, nullptr);
    EXPECT_TRUE(at_once("corp"));
    EXPECT_TRUE(at_once("capped")) << "its count is in memory";
    EXPECT_TRUE(at_once("basic")) << "its lockout is in memory";

    DatabaseCounts shared;
    service_->use_store(*store_, *store_, &shared);
    EXPECT_TRUE(at_once("corp")) << "no limit: nothing to read";
    EXPECT_FALSE(at_once("capped"));
    EXPECT_FALSE(at_once("basic"));
}

}  // namespace
}  // namespace estd::http
