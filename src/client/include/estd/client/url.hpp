#pragma once

#include <string>
#include <string_view>

#include "estd/core/error.hpp"
#include "estd/https/url.hpp"

namespace estd::client {

// Where an EST server listens: https://host[:port][/base]. `base` is a path
// prefix put in front of /.well-known/est (for servers mounted behind a
// reverse proxy under a sub-path); empty in the usual case.
struct ServerUrl : https::Url {
    std::string base;  // "" or "/x/y", never a trailing slash
};

// Refuses anything that is not an https URL with an optional path: EST runs
// only over TLS (RFC 7030 §3.3), and a query or fragment means a typo.
Result<ServerUrl> parse_server_url(std::string_view text);

// Which URL tree an operation goes to: the RFC's /.well-known/est, or the
// guide's /.well-known/est-mtls for profiles that require client certificates.
enum class EstRouteKind { est, est_mtls };

// /[base]/.well-known/est[/profile]/operation. An empty profile is the
// server's default (label-less) CA. Refuses labels that would change the
// path's shape (slashes, dots only, characters needing escapes).
Result<std::string> est_path(const ServerUrl& url, std::string_view profile,
                             std::string_view operation, EstRouteKind route = EstRouteKind::est);

}  // namespace estd::client
