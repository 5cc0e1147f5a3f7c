// The operator console's routes: what is served under /est, with which
// headers, and nothing else (issue 22).
#include <string>

#include <gtest/gtest.h>

#include "estd/http/console.hpp"
#include "estd/http/router.hpp"

namespace estd::http {
namespace {

using boost::beast::http::field;
using boost::beast::http::verb;

net::Request request(verb method, const std::string& target) {
    net::Request req{method, target, 11};
    req.set(field::host, "127.0.0.1");
    return req;
}

const ConsoleAsset& asset(std::string_view name) {
    for (const auto& a : console_assets()) {
        if (a.name == name) {
            return a;
        }
    }
    ADD_FAILURE() << "no asset " << name;
    static const ConsoleAsset none{};
    return none;
}

TEST(ConsoleTest, EveryAssetIsCompiledInWithItsTypeAndAStrongEtag) {
    ASSERT_FALSE(console_assets().empty());
    for (const auto& a : console_assets()) {
        EXPECT_FALSE(a.body.empty()) << a.name;
        EXPECT_TRUE(a.etag.starts_with("\"sha256-")) << a.name << " " << a.etag;
        EXPECT_EQ(a.etag.size(), std::string_view("\"sha256-\"").size() + 64) << a.name;
    }
    EXPECT_EQ(asset("index.html").content_type, "text/html; charset=utf-8");
    EXPECT_EQ(asset("app.js").content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(asset("console.css").content_type, "text/css; charset=utf-8");
    // The page loads only its own assets, by absolute path under /est.
    EXPECT_NE(asset("index.html").body.find("src=\"/est/app.js\""), std::string_view::npos);
}

TEST(ConsoleTest, IndexAtEstWithTheSecurityHeaders) {
    const auto res = Console::handle(request(verb::get, "/est"));
    EXPECT_EQ(res.result_int(), 200U);
    EXPECT_EQ(res[field::content_type], "text/html; charset=utf-8");
    EXPECT_EQ(res.body(), asset("index.html").body);
    EXPECT_EQ(res[field::etag], asset("index.html").etag);
    const std::string csp(res["Content-Security-Policy"]);
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
    EXPECT_EQ(res[field::cache_control], "no-cache");
    // A query string does not change the page.
    EXPECT_EQ(Console::handle(request(verb::get, "/est?x=1")).body(), res.body());
}

TEST(ConsoleTest, AssetsUnderEstAndNothingElse) {
    const auto js = Console::handle(request(verb::get, "/est/app.js"));
    EXPECT_EQ(js.result_int(), 200U);
    EXPECT_EQ(js[field::content_type], "text/javascript; charset=utf-8");
    EXPECT_EQ(js.body(), asset("app.js").body);
    for (const char* target : {"/est/nosuch.js", "/est/../est/app.js", "/est/app.js/",
                               "/est/APP.JS", "/est//app.js", "/est/sub/app.js"}) {
        const auto res = Console::handle(request(verb::get, target));
        EXPECT_EQ(res.result_int(), 404U) << target;
        EXPECT_FALSE(res["Content-Security-Policy"].empty()) << target;
        EXPECT_EQ(res.body().find("import"), std::string::npos) << target;
    }
    // The one address of the page: /est/ sends the browser there.
    const auto slash = Console::handle(request(verb::get, "/est/"));
    EXPECT_EQ(slash.result_int(), 308U);
    EXPECT_EQ(slash[field::location], "/est");
}

TEST(ConsoleTest, RouterSendsOnlyEstPathsToTheConsole) {
    for (const char* path : {"/est", "/est/", "/est/app.js", "/est/nosuch"}) {
        EXPECT_TRUE(Console::handles(path)) << path;
    }
    for (const char* path : {"/", "/app.js", "/index.html", "/estd", "/est.js", "/.well-known/est",
                             "/.well-known/est/app.js", "/.well-known/est/est/cacerts",
                             "/api/v1/est/certificates", "/console/app.js"}) {
        EXPECT_FALSE(Console::handles(path)) << path;
    }
    // Answered from memory, on the I/O thread, like /healthz:
    // HttpRouterTest.OnlyRequestsThatNeverWaitRunOnTheIoThread.
}

TEST(ConsoleTest, GetAndHeadOnlyAndConditionalRequests) {
    auto post = Console::handle(request(verb::post, "/est"));
    EXPECT_EQ(post.result_int(), 405U);
    EXPECT_EQ(post[field::allow], "GET, HEAD");
    EXPECT_EQ(Console::handle(request(verb::delete_, "/est/app.js")).result_int(), 405U);

    const auto head = Console::handle(request(verb::head, "/est/console.css"));
    EXPECT_EQ(head.result_int(), 200U);
    EXPECT_EQ(head[field::content_type], "text/css; charset=utf-8");
    EXPECT_EQ(head[field::content_length], std::to_string(asset("console.css").body.size()));

    auto conditional = request(verb::get, "/est/app.js");
    conditional.set(field::if_none_match, std::string(asset("app.js").etag));
    const auto cached = Console::handle(conditional);
    EXPECT_EQ(cached.result_int(), 304U);
    EXPECT_TRUE(cached.body().empty());
    EXPECT_EQ(cached[field::etag], asset("app.js").etag);

    auto stale = request(verb::get, "/est/app.js");
    stale.set(field::if_none_match, "\"sha256-0000\"");
    EXPECT_EQ(Console::handle(stale).result_int(), 200U);
}

}  // namespace
}  // namespace estd::http
