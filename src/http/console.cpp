#include "estd/http/console.hpp"

#include "estd/http/response.hpp"

namespace estd::http {
namespace beast_http = boost::beast::http;

namespace {

constexpr std::string_view kPrefix = "/est/";
constexpr std::string_view kIndex = "index.html";

// Headers every answer under /est carries, errors included: a 404 page is a
// document too.
void secure(net::Response& res) {
    res.set("Content-Security-Policy", Console::kContentSecurityPolicy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "no-referrer");
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    res.set("Cross-Origin-Resource-Policy", "same-origin");
}

const ConsoleAsset* find_asset(std::string_view name) {
    for (const auto& asset : console_assets()) {
        if (asset.name == name) {
            return &asset;
        }
    }
    return nullptr;
}

// If-None-Match names this ETag (or is "*"): the browser's copy is current.
bool not_modified(const net::Request& req, std::string_view etag) {
    const std::string_view header = req[beast_http::field::if_none_match];
    if (header.empty()) {
        return false;
    }
    if (header == "*") {
        return true;
    }
    std::size_t at = 0;
    while ((at = header.find(etag, at)) != std::string_view::npos) {
        // A whole list member, not a prefix of a longer tag.
        const std::size_t end = at + etag.size();
        if (end == header.size() || header[end] == ',' || header[end] == ' ') {
            return true;
        }
        at = end;
    }
    return false;
}

net::Response plain(const net::Request& req, unsigned status, std::string_view text) {
    auto res = text_response(req, status, text);
    res.set(beast_http::field::cache_control, "no-store");
    secure(res);
    return res;
}

}  // namespace

net::Response Console::handle(const net::Request& req) {
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (req.method() != beast_http::verb::get && req.method() != beast_http::verb::head) {
        auto res = plain(req, 405, "the console is read with GET or HEAD");
        res.set(beast_http::field::allow, "GET, HEAD");
        return res;
    }
    if (path == kPrefix) {
        // One address for the page: its asset URLs are absolute anyway, but
        // a bookmark or a log line should read the same.
        auto res = plain(req, 308, "the console is at /est");
        res.set(beast_http::field::location, "/est");
        return res;
    }
    const std::string_view name = path == "/est" ? kIndex : path.substr(kPrefix.size());
    const ConsoleAsset* asset = find_asset(name);
    if (asset == nullptr) {
        return plain(req, 404, "no console page at " + std::string(path));
    }
    net::Response res{beast_http::status::ok, req.version()};
    res.set(beast_http::field::server, "estd");
    res.keep_alive(req.keep_alive());
    res.set(beast_http::field::etag, asset->etag);
    // Revalidate each time: asset names carry no version, and after an
    // upgrade an operator must get the new page, not a cached mix (a 304
    // costs one round trip and no body).
    res.set(beast_http::field::cache_control, "no-cache");
    secure(res);
    if (not_modified(req, asset->etag)) {
        res.result(beast_http::status::not_modified);
        return res;
    }
    res.set(beast_http::field::content_type, asset->content_type);
    res.body() = std::string(asset->body);
    res.prepare_payload();
    return res;
}

}  // namespace estd::http
