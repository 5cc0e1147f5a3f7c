#pragma once

#include <span>
#include <string_view>

#include "estd/net/server.hpp"

namespace estd::http {

// One file of the operator console (console/ in the source tree), compiled
// into the binary by cmake/embed_console.cmake.
struct ConsoleAsset {
    std::string_view name;  // "app.js": served at /est/app.js
    std::string_view content_type;
    std::string_view etag;  // strong: "sha256-<hex of the bytes>"
    std::string_view body;
};

// Every console asset (generated at build time).
std::span<const ConsoleAsset> console_assets();

// The operator console at /est: the page (index.html) at /est, its assets at
// /est/<name>, nothing else. GET and HEAD only, answered from memory. Every
// answer carries a Content-Security-Policy that allows only estd's own
// origin and no inline script or style (default-src 'self' holds for
// scripts and styles too), so data the page shows cannot run; no form may
// submit anywhere (the sign-in form is handled by the script, and a key must
// never end up in a URL).
// The page itself holds no secret and needs no key; every API call it makes
// is authenticated by the operator API.
class Console {
  public:
    // "/est" or anything under "/est/" (which cannot collide with EST: its
    // routes live under /.well-known/, and "est" is a reserved profile name).
    static bool handles(std::string_view path) {
        return path == "/est" || path.starts_with("/est/");
    }
    static net::Response handle(const net::Request& req);

    static constexpr std::string_view kContentSecurityPolicy =
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'";
};

}  // namespace estd::http
