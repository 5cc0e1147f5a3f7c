#include <gtest/gtest.h>

#include "estd/http/router.hpp"

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

TEST(HttpRouterTest, OnlyRequestsAnsweredFromMemoryRunOnTheIoThread) {
    using boost::beast::http::verb;
    for (const char* target :
         {"/healthz", "/.well-known/est/cacerts", "/.well-known/est/corp/cacerts?x=1",
          "/.well-known/est/corp/csrattrs"}) {
        EXPECT_TRUE(Router::answers_at_once(request(verb::get, target))) << target;
        EXPECT_TRUE(Router::answers_at_once(request(verb::head, target))) << target;
    }
    for (const char* target :
         {"/.well-known/est/corp/simpleenroll", "/.well-known/est/corp/serverkeygen",
          "/.well-known/est-mtls/corp/cacerts", "/readyz", "/api/v1/audit",
          "/.well-known/pki/ocsp/MEow", "/.well-known/est/corp/nosuch"}) {
        EXPECT_FALSE(Router::answers_at_once(request(verb::get, target))) << target;
    }
    EXPECT_FALSE(Router::answers_at_once(request(verb::post, "/.well-known/est/corp/cacerts")));
    EXPECT_FALSE(
        Router::answers_at_once(request(verb::post, "/.well-known/est/corp/simpleenroll")));
}

}  // namespace
}  // namespace estd::http
