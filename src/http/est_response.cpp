#include "estd/http/est_response.hpp"

#include <optional>
#include <string>
#include <utility>

#include "estd/auth/basic_gate.hpp"
#include "estd/est/multipart.hpp"
#include "estd/est/wire.hpp"
#include "estd/http/response.hpp"

namespace estd::http {
namespace beast_http = boost::beast::http;

namespace {

net::Response base64_response(const net::Request& req, std::string_view content_type,
                              std::string body) {
    auto res = make_response(req, 200, content_type, std::move(body));
    res.set("Content-Transfer-Encoding", "base64");
    return res;
}

}  // namespace

net::Response est_response(const net::Request& req, Result<est::EstAnswer> answer) {
    if (!answer) {
        auto res = error_response(req, answer.error());
        // The Basic gate names Basic; every other 401 of an EST call wants a
        // client certificate.
        if (res.result() == beast_http::status::unauthorized &&
            res.find(beast_http::field::www_authenticate) == res.end()) {
            res.set(beast_http::field::www_authenticate, auth::kMutualChallenge);
        }
        return res;
    }
    switch (answer->content) {
        case est::EstContent::certs_only:
            return base64_response(req, est::kCertsOnlyContentType, std::move(answer->body));
        case est::EstContent::csrattrs:
            return base64_response(req, est::kCsrAttrsContentType, std::move(answer->body));
        case est::EstContent::serverkeygen:
            return make_response(req, 200, est::multipart_content_type(), std::move(answer->body));
        case est::EstContent::none:
            break;
    }
    return make_response(req, 204, {}, {});
}

std::optional<net::Response> wrong_est_method(const net::Request& req, est::Operation op) {
    const auto method =
        est::operation_takes_body(op) ? beast_http::verb::post : beast_http::verb::get;
    if (req.method() == method) {
        return std::nullopt;
    }
    const std::string allowed(beast_http::to_string(method));
    auto res =
        text_response(req, 405, std::string(est::operation_name(op)) + " accepts only " + allowed);
    res.set(beast_http::field::allow, allowed);
    return res;
}

}  // namespace estd::http
