// API keys (parsing and authentication), query and time parsing, the
// webhook signature and URL.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include "estd/config/api_keys.hpp"
#include "estd/config/config.hpp"
#include "estd/http/admin_api.hpp"
#include "estd/http/api_keys.hpp"
#include "estd/http/query.hpp"
#include "estd/notify/expiry_notifier.hpp"
#include "estd/store/postgres_store.hpp"

namespace estd {
namespace {

TEST(ApiKeysParse, ReadsNamesKeysAndTheAdminFlag) {
    auto parsed = config::parse_api_keys(
        "ops:0123456789abcdef0123:admin, viewer:fedcba9876543210fedc ,ci:with:colon:inside-1234");
    ASSERT_TRUE(parsed.problems.empty()) << parsed.problems.front();
    ASSERT_EQ(parsed.keys.size(), 3U);
    EXPECT_EQ(parsed.keys[0].name, "ops");
    EXPECT_EQ(parsed.keys[0].key, "0123456789abcdef0123");
    EXPECT_TRUE(parsed.keys[0].admin);
    EXPECT_EQ(parsed.keys[1].name, "viewer");
    EXPECT_FALSE(parsed.keys[1].admin);
    EXPECT_EQ(parsed.keys[2].key, "with:colon:inside-1234");
    EXPECT_TRUE(config::parse_api_keys("").keys.empty());
}

TEST(ApiKeysParse, RefusesBadEntriesWithoutQuotingTheKey) {
    const std::string secret = "s3cr3t-short";
    for (const std::string& text : std::vector<std::string>{
             "nokey", "bad name:0123456789abcdef0123", "ops:" + secret,
             "ops:0123456789abcdef0123,ops:abcdefabcdefabcdef01",
             "a:0123456789abcdef0123,b:0123456789abcdef0123", ":0123456789abcdef0123"}) {
        auto parsed = config::parse_api_keys(text);
        ASSERT_FALSE(parsed.problems.empty()) << text;
        for (const auto& problem : parsed.problems) {
            EXPECT_EQ(problem.find(secret), std::string::npos) << problem;
            EXPECT_EQ(problem.find("0123456789abcdef0123"), std::string::npos) << problem;
        }
    }
}

TEST(ApiKeyAuthenticator, MatchesBearerKeysOnly) {
    auto parsed = config::parse_api_keys("ops:0123456789abcdef0123:admin,ro:fedcba9876543210fedc");
    http::ApiKeyAuthenticator keys(parsed.keys);
    auto ops = keys.authenticate("Bearer 0123456789abcdef0123");
    ASSERT_TRUE(ops);
    EXPECT_EQ(ops->name, "ops");
    EXPECT_TRUE(ops->admin);
    auto ro = keys.authenticate("bearer   fedcba9876543210fedc ");
    ASSERT_TRUE(ro);
    EXPECT_FALSE(ro->admin);
    EXPECT_FALSE(keys.authenticate(""));
    EXPECT_FALSE(keys.authenticate("Bearer "));
    EXPECT_FALSE(keys.authenticate("Bearer 0123456789abcdef012"));  // a prefix
    EXPECT_FALSE(keys.authenticate("Basic 0123456789abcdef0123"));
    EXPECT_FALSE(keys.authenticate("Bearer " + std::string(2000, 'a')));
}

// An operator API with one admin key and a trust reload that records what
// it was asked.
struct AdminApiFixture {
    std::vector<std::optional<std::string>> reloads;
    http::AdminApi api{http::AdminApi::Dependencies{
        .keys = {config::ApiKey{"ops", "0123456789abcdef0123", true}},
        .reload_trust = [this](const std::string& /*actor*/,
                               const std::optional<std::string>& path_id) {
            reloads.push_back(path_id);
            return std::vector<http::TrustReloadOutcome>{{"iot", true, false, {}}};
        }}};

    int status(boost::beast::http::verb method, const std::string& target,
               const std::string& authorization, const std::string& body = {}) {
        net::Request req{method, target, 11};
        if (!authorization.empty()) {
            req.set(boost::beast::http::field::authorization, authorization);
        }
        req.body() = body;
        req.prepare_payload();
        pki::PeerIdentity peer;
        peer.address = "192.0.2.1";
        return api.handle(req, peer, "r1").result_int();
    }
};

TEST(AdminApi, NoEndpointIsNamedWithoutAKey) {
    AdminApiFixture f;
    const auto get = boost::beast::http::verb::get;
    EXPECT_EQ(f.status(get, "/api/v1/nosuch", ""), 401);
    EXPECT_EQ(f.status(get, "/api/v1/admin/anything?x=1", "Bearer wrong-key-0123456789"), 401);
    EXPECT_EQ(f.status(get, "/api/v1/audit", ""), 401);
    EXPECT_EQ(f.status(get, "/api/v1/nosuch", "Bearer 0123456789abcdef0123"), 404);
}

TEST(AdminApi, DuplicateJsonKeysAreRefused) {
    AdminApiFixture f;
    const auto post = boost::beast::http::verb::post;
    const std::string admin = "Bearer 0123456789abcdef0123";
    const auto target = "/api/v1/admin/est/reload-trust";
    EXPECT_EQ(f.status(post, target, admin, R"({"path_id":"iot","path_id":"other"})"), 400);
    EXPECT_EQ(f.status(post, target, admin, R"({"a":{"x":1,"x":2},"path_id":"iot"})"), 400);
    EXPECT_EQ(f.status(post, "/api/v1/est/certificates/bulk-revoke", admin,
                       R"({"serials":["01"],"reason":"superseded","serials":["02"]})"),
              400);
    EXPECT_TRUE(f.reloads.empty());
    // The same key in two objects, or in objects of an array, is fine.
    EXPECT_EQ(
        f.status(post, target, admin, R"({"a":{"x":1},"b":[{"x":1},{"x":2}],"path_id":"iot"})"),
        200);
    EXPECT_EQ(f.status(post, target, admin, R"({"path_id":"iot"})"), 200);
    EXPECT_EQ(f.reloads.size(), 2U);
}

TEST(HttpQuery, DecodesParametersAndTimes) {
    auto params = http::parse_query("/api/v1/audit?action_prefix=est_auth%5Ffailed&limit=5&x");
    ASSERT_TRUE(params);
    EXPECT_EQ(params->at("action_prefix"), "est_auth_failed");
    EXPECT_EQ(params->at("limit"), "5");
    EXPECT_FALSE(http::parse_query("/x?a=%zz"));
    EXPECT_FALSE(http::parse_query("/x?a=%2"));

    using std::chrono::system_clock;
    const auto epoch = system_clock::from_time_t(0);
    EXPECT_EQ(http::parse_rfc3339("1970-01-01T00:00:00Z"), epoch);
    EXPECT_EQ(http::parse_rfc3339("1970-01-01"), epoch);
    EXPECT_EQ(http::parse_rfc3339("1970-01-01T01:00:00+01:00"), epoch);
    EXPECT_EQ(http::parse_rfc3339("1970-01-01T00:00:01.500Z"),
              epoch + std::chrono::milliseconds(1500));
    EXPECT_FALSE(http::parse_rfc3339("yesterday"));
    EXPECT_FALSE(http::parse_rfc3339("2026-13-01T00:00:00Z"));
    EXPECT_FALSE(http::parse_rfc3339("2026-01-01T00:00:00"));

    EXPECT_TRUE(http::json_depth_within(R"({"a":[1,{"b":"[[[["}]})", 3));
    EXPECT_FALSE(http::json_depth_within(std::string(100, '['), 8));
}

TEST(Webhook, SignatureIsHmacSha256OfTheBody) {
    // RFC 4231 test case 2.
    EXPECT_EQ(notify::webhook_signature("Jefe", "what do ya want for nothing?"),
              "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Webhook, UrlsParse) {
    auto plain = notify::parse_webhook_url("http://127.0.0.1:9000/hooks/estd?x=1");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->tls);
    EXPECT_EQ(plain->host, "127.0.0.1");
    EXPECT_EQ(plain->port, "9000");
    EXPECT_EQ(plain->target, "/hooks/estd?x=1");
    auto tls = notify::parse_webhook_url("HTTPS://hooks.example.com");
    ASSERT_TRUE(tls);
    EXPECT_TRUE(tls->tls);
    EXPECT_EQ(tls->port, "443");
    EXPECT_EQ(tls->target, "/");
    auto v6 = notify::parse_webhook_url("http://[::1]:8080/x");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_FALSE(notify::parse_webhook_url("ftp://x"));
    EXPECT_FALSE(notify::parse_webhook_url("http://:80/"));
    EXPECT_FALSE(notify::parse_webhook_url("http://host:port/"));
}

}  // namespace
}  // namespace estd

namespace estd {
namespace {

bool mentions(const std::vector<std::string>& problems, const std::string& part) {
    for (const auto& problem : problems) {
        if (problem.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

TEST(OperatorConfig, WebhookNeedsASecretAndAnHttpUrl) {
    config::Environment env{{"CERTCTL_WEBHOOK_URL", "http://127.0.0.1:9/x"}};
    auto loaded = config::load(env);
    EXPECT_TRUE(mentions(loaded.problems, "CERTCTL_WEBHOOK_SECRET"));
    env = {{"CERTCTL_WEBHOOK_URL", "ftp://x"}, {"CERTCTL_WEBHOOK_SECRET", "s3cr3t-value"}};
    loaded = config::load(env);
    EXPECT_TRUE(mentions(loaded.problems, "http:// or https://"));
    EXPECT_FALSE(mentions(loaded.problems, "s3cr3t-value"));
    env = {{"CERTCTL_EXPIRY_SCAN_INTERVAL", "soon"}};
    EXPECT_TRUE(mentions(config::load(env).problems, "CERTCTL_EXPIRY_SCAN_INTERVAL"));
}

// As the daemon loads it: the store reads the URL, and its refusal comes
// with every other problem.
TEST(OperatorConfig, AnUnparsableDatabaseUrlIsRefusedWithoutEchoingIt) {
    config::Environment env{{"CERTCTL_DATABASE_URL", "postgresql://u:hunter2@%zz/estd"},
                            {"CERTCTL_EXPIRY_SCAN_INTERVAL", "soon"}};
    auto loaded = config::load(env, store::describe_postgres_url);
    EXPECT_TRUE(mentions(loaded.problems, "CERTCTL_DATABASE_URL is not a PostgreSQL URL"));
    EXPECT_TRUE(mentions(loaded.problems, "CERTCTL_EXPIRY_SCAN_INTERVAL"));
    EXPECT_FALSE(mentions(loaded.problems, "hunter2"));
}

TEST(OperatorConfig, ApiKeyProblemsNameTheVariable) {
    config::Environment env{{"CERTCTL_API_KEYS_NAMED", "ops:short"}};
    auto loaded = config::load(env);
    EXPECT_TRUE(mentions(loaded.problems, "CERTCTL_API_KEYS_NAMED key \"ops\""));
    EXPECT_FALSE(mentions(loaded.problems, "short\""));
}

}  // namespace
}  // namespace estd
