// Every error kind's status and headers: what the wire shows for an Error.

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "estd/http/error_status.hpp"
#include "estd/http/response.hpp"

namespace estd::http {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(ErrorStatusTest, EveryKindHasItsStatus) {
    const std::vector<std::pair<ErrorKind, unsigned>> expected = {
        {ErrorKind::bad_request, 400},  {ErrorKind::unauthorized, 401},
        {ErrorKind::forbidden, 403},    {ErrorKind::not_found, 404},
        {ErrorKind::conflict, 409},     {ErrorKind::tls_upgrade_required, 426},
        {ErrorKind::rate_limited, 429}, {ErrorKind::not_implemented, 501},
        {ErrorKind::unavailable, 503},  {ErrorKind::upstream_failure, 502},
        {ErrorKind::internal, 500},     {ErrorKind::input, 500},
        {ErrorKind::network, 502},      {ErrorKind::tls, 502},
        {ErrorKind::http, 502},         {ErrorKind::protocol, 502},
    };
    for (const auto& [kind, status] : expected) {
        EXPECT_EQ(status_of(kind), status) << static_cast<int>(kind);
    }
    EXPECT_EQ(status_of(Error{}.kind), 500u);
}

TEST(ErrorStatusTest, RefusalsAreTheFourHundreds) {
    for (int k = 0; k <= static_cast<int>(ErrorKind::protocol); ++k) {
        const auto kind = static_cast<ErrorKind>(k);
        const unsigned status = status_of(kind);
        EXPECT_EQ(is_refusal(kind), status >= 400 && status < 500) << k;
    }
}

TEST(ErrorStatusTest, HeadersComeFromTheTypedFields) {
    EXPECT_EQ(headers_of(Error::bad_request("no")), Headers{});

    Error basic{ErrorKind::unauthorized, "est_auth_failed_basic", "wrong enrollment password"};
    basic.challenge = AuthChallenge::basic;
    EXPECT_EQ(headers_of(basic), (Headers{{"WWW-Authenticate", "Basic realm=\"estd\""}}));
    // Without a challenge the caller adds its own (the EST routes: Mutual;
    // the operator API: Bearer).
    EXPECT_EQ(headers_of(Error{ErrorKind::unauthorized, {}, "no"}), Headers{});

    Error limited{ErrorKind::rate_limited, "est_rate_limited", "slow down"};
    limited.retry_after = std::chrono::seconds(3600);
    EXPECT_EQ(headers_of(limited), (Headers{{"Retry-After", "3600"}}));

    Error busy{ErrorKind::unavailable, {}, "token busy"};
    busy.retry_after = std::chrono::seconds(5);
    EXPECT_EQ(headers_of(busy), (Headers{{"Retry-After", "5"}}));

    EXPECT_EQ(headers_of(Error{ErrorKind::tls_upgrade_required, {}, "use TLS 1.3"}),
              (Headers{{"Upgrade", "TLS/1.3"}}));
}

TEST(ErrorStatusTest, ErrorResponseIsTheStatusTheHeadersAndTheMessage) {
    net::Request req{boost::beast::http::verb::post, "/.well-known/est/simpleenroll", 11};
    Error limited{ErrorKind::rate_limited, "est_rate_limited", "rate limited: retry in 60s"};
    limited.retry_after = std::chrono::seconds(60);
    const auto res = error_response(req, limited);
    EXPECT_EQ(res.result_int(), 429u);
    EXPECT_EQ(res[boost::beast::http::field::retry_after], "60");
    EXPECT_EQ(res[boost::beast::http::field::content_type], "text/plain; charset=utf-8");
    EXPECT_EQ(res.body(), "rate limited: retry in 60s\n");
    EXPECT_EQ(res.find(boost::beast::http::field::www_authenticate), res.end());
}

}  // namespace
}  // namespace estd::http
