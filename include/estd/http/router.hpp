#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "estd/core/error.hpp"
#include "estd/est/est_service.hpp"
#include "estd/est/operation.hpp"
#include "estd/net/server.hpp"

namespace estd::http {

// Maps an EST URL path to its route. nullopt when the path is not under
// /.well-known/est/ or /.well-known/est-mtls/; a 404 Error when it is but
// names no operation.
std::optional<Result<est::EstRoute>> parse_est_path(std::string_view path);

// Entry point for every request: health endpoints and EST.
class Router {
public:
    using ReadinessProbe = std::function<bool()>;
    Router(est::EstService& est, ReadinessProbe ready);

    net::Response handle(const net::Request& req, const net::ConnectionInfo& conn);

private:
    est::EstService& est_;
    ReadinessProbe ready_;
};

}  // namespace estd::http
