#include "estd/client/url.hpp"

#include <algorithm>
#include <cctype>

namespace estd::client {

namespace {

bool is_label_char(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

}  // namespace

Result<ServerUrl> parse_server_url(std::string_view text) {
    constexpr std::string_view kScheme = "https://";
    if (text.size() < kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), text.begin(), [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
        })) {
        return Error::input("server URL must start with https:// (EST runs only over TLS): \"" +
                            std::string(text) + "\"");
    }
    auto url = https::parse_url(text);
    if (!url) {
        Error error = std::move(url).take_error();
        if (error.message.find("credentials") != std::string::npos) {
            error.message += "; use --user and --password-file";
        }
        error.message = "server " + error.message;
        return error;
    }
    if (url->target.find_first_of("?#") != std::string::npos) {
        return Error::input("server URL must not have a query or fragment");
    }
    ServerUrl server{std::move(url).value(), {}};
    server.base = server.target;
    while (!server.base.empty() && server.base.back() == '/') {
        server.base.pop_back();
    }
    return server;
}

Result<std::string> est_path(const ServerUrl& url, std::string_view profile,
                             std::string_view operation, EstRouteKind route) {
    const bool label_ok = std::all_of(profile.begin(), profile.end(),
                                      [](unsigned char c) { return is_label_char(c); }) &&
                          profile != "." && profile != "..";
    if (!label_ok) {
        return Error::input("profile \"" + std::string(profile) +
                            "\" is not a valid URL path segment");
    }
    std::string path =
        url.base + (route == EstRouteKind::est ? "/.well-known/est" : "/.well-known/est-mtls");
    if (!profile.empty()) {
        path += "/" + std::string(profile);
    }
    path += "/" + std::string(operation);
    return path;
}

}  // namespace estd::client
