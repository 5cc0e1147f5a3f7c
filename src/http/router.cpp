#include "estd/http/router.hpp"

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <vector>

#include "estd/http/console.hpp"
#include "estd/http/est_response.hpp"
#include "estd/http/request_id.hpp"
#include "estd/http/response.hpp"

namespace estd::http {
namespace beast_http = boost::beast::http;

namespace {

constexpr std::string_view kEstPrefix = "/.well-known/est/";
constexpr std::string_view kEstMtlsPrefix = "/.well-known/est-mtls/";

std::vector<std::string_view> split_segments(std::string_view path) {
    std::vector<std::string_view> segments;
    while (!path.empty()) {
        const auto slash = path.find('/');
        segments.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return segments;
}

// Every X-Forwarded-For field of the request as one list (RFC 9110 §5.3).
std::string forwarded_for(const net::Request& req) {
    std::string joined;
    const auto [first, last] = req.equal_range("X-Forwarded-For");
    for (auto field = first; field != last; ++field) {
        if (!joined.empty()) {
            joined += ',';
        }
        joined += field->value();
    }
    return joined;
}

// The request's X-SSL-Client-Cert fields and who sent them.
auth::PresentedCertificate presented_certificate(const net::Request& req,
                                                 const pki::PeerIdentity& peer) {
    auth::PresentedCertificate presented{peer, {}};
    const auto [first, last] = req.equal_range(auth::kClientCertHeader);
    for (auto field = first; field != last; ++field) {
        presented.forwarded.push_back(field->value());
    }
    return presented;
}

Error not_found(std::string_view path) {
    return Error{ErrorKind::not_found, {}, "no EST operation at " + std::string(path)};
}

}  // namespace

std::optional<Result<est::EstRoute>> parse_est_path(std::string_view path) {
    est::EstRoute route;
    std::string_view rest;
    if (path.starts_with(kEstPrefix)) {
        route.family = est::RouteFamily::est;
        rest = path.substr(kEstPrefix.size());
    } else if (path.starts_with(kEstMtlsPrefix)) {
        route.family = est::RouteFamily::est_mtls;
        rest = path.substr(kEstMtlsPrefix.size());
    } else {
        return std::nullopt;
    }
    const auto segments = split_segments(rest);
    std::string_view operation;
    if (segments.size() == 1) {
        operation = segments[0];  // the legacy root or the default profile
    } else if (segments.size() == 2 && !segments[0].empty()) {
        route.path_id = std::string(segments[0]);
        operation = segments[1];
    } else {
        return Result<est::EstRoute>(not_found(path));
    }
    const auto op = est::parse_operation(operation);
    if (!op) {
        return Result<est::EstRoute>(not_found(path));
    }
    route.operation = *op;
    return Result<est::EstRoute>(std::move(route));
}

bool Router::answers_at_once(const net::Request& req) const {
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const auto route = parse_est_path(path);
    if (route && *route) {
        return est_.answers_without_waiting(**route);
    }
    const bool reads = req.method() == boost::beast::http::verb::get ||
                       req.method() == boost::beast::http::verb::head;
    return reads && (path == "/healthz" || Console::handles(path));
}

Router::Router(est::EstService& est, ReadinessProbe ready) : est_(est), ready_(std::move(ready)) {
}

void Router::handle(const net::Request& req, const pki::PeerIdentity& peer,
                    const net::Responder& responder) {
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (auto route = parse_est_path(path); route && *route) {
        answer_est(req, peer, std::move(*route).value(), responder);
        return;
    }
    responder.respond(answer_other(req, peer, path));
}

// Waits here for an answer that comes after a commit; the rest of the call
// then runs on this thread. Without a commit the answer comes in the call.
net::Response Router::handle(const net::Request& req, const pki::PeerIdentity& peer) {
    std::optional<net::Response> answer;
    std::promise<std::function<void()>> rest;
    auto resumed = rest.get_future();
    handle(
        req, peer,
        net::Responder([&answer](net::Response res) { answer = std::move(res); },
                       [&rest](std::function<void()> work) { rest.set_value(std::move(work)); }));
    if (!answer) {
        resumed.get()();
    }
    return std::move(*answer);
}

net::Response Router::answer_other(const net::Request& req, const pki::PeerIdentity& peer,
                                   std::string_view path) {
    if (path == "/healthz") {
        return text_response(req, 200, "ok");
    }
    if (path == "/readyz") {
        const auto ready = ready_();
        return ready ? text_response(req, 200, "ready")
                     : text_response(req, 503, "not ready: " + ready.error().message);
    }
    if (Console::handles(path)) {
        return Console::handle(req);
    }
    if (auto route = parse_est_path(path)) {
        return error_response(req, route->error());  // a path under EST naming no operation
    }
    if (admin_ != nullptr && AdminApi::handles(path)) {
        const std::string request_id = new_request_id();
        auto res = admin_->handle(req, peer, request_id);
        res.set("X-Request-Id", request_id);
        return res;
    }
    if (pki_ != nullptr && PkiRoutes::handles(path)) {
        return pki_->handle(req);
    }
    return text_response(req, 404, "not found: " + std::string(path));
}

// The call is read whole first: its request id answers every outcome,
// 404 and 405 included.
est::EstCall Router::read_est_call(const net::Request& req, const pki::PeerIdentity& peer,
                                   est::EstRoute route) const {
    const std::string forwarded = forwarded_for(req);
    const auto presented = presented_certificate(req, peer);
    return est::EstCall{
        std::move(route),
        req.body(),
        req[beast_http::field::authorization],
        req[beast_http::field::user_agent],
        peer,
        est::RequestContext{
            new_request_id(), auth::client_address(peer.address, forwarded, proxies_),
            auth::client_certificate(presented, proxies_),
            auth::via_trusted_proxy(
                peer.address, req.count("X-Forwarded-For") > 0 || !presented.forwarded.empty(),
                proxies_)}};
}

// An unknown profile is a 404 whatever the method, then a wrong method a
// 405, before any gate. The answer may come after a commit, on the
// connection's thread (the responder's resume): the request outlives it.
void Router::answer_est(const net::Request& req, const pki::PeerIdentity& peer, est::EstRoute route,
                        const net::Responder& responder) {
    const est::EstCall call = read_est_call(req, peer, std::move(route));
    const auto started = std::chrono::steady_clock::now();
    auto send = [this, responder, request_id = call.context.request_id, started,
                 operation = call.route.operation](net::Response res) {
        if (metrics_ != nullptr) {
            metrics_->observe_est(operation, std::chrono::steady_clock::now() - started);
        }
        res.set("X-Request-Id", request_id);
        responder.respond(std::move(res));
    };
    if (auto served = est_.serving_profile(call.route); !served) {
        send(error_response(req, served.error()));
        return;
    }
    if (auto refused = wrong_est_method(req, call.route.operation)) {
        send(std::move(*refused));
        return;
    }
    est_.handle(
        call, [responder](std::function<void()> work) { responder.resume(std::move(work)); },
        [&req, send](Result<est::EstAnswer> answer) {
            send(est_response(req, std::move(answer)));
        });
}

}  // namespace estd::http
