#include "estd/client/url.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/ip/address.hpp>

namespace estd::client {

namespace {

bool is_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool is_label_char(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

bool valid_port(std::string_view port) {
    if (!is_digits(port) || port.size() > 5) {
        return false;
    }
    const int value = std::stoi(std::string(port));
    return value > 0 && value <= 65535;
}

// Splits "host[:port]" or "[v6][:port]" into host and port.
Result<ServerUrl> parse_authority(std::string_view authority) {
    ServerUrl url;
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return Error::input("server URL has an unterminated IPv6 address");
        }
        url.host = std::string(authority.substr(1, close - 1));
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(':')) {
                return Error::input("server URL has garbage after the IPv6 address");
            }
            port = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            url.host = std::string(authority.substr(0, colon));
            port = authority.substr(colon + 1);
        } else {
            url.host = std::string(authority);
        }
        if (url.host.find(':') != std::string::npos) {
            return Error::input("server URL: put an IPv6 address in brackets, [::1]:8443");
        }
    }
    if (url.host.empty()) {
        return Error::input("server URL has no host");
    }
    if (authority.find('@') != std::string_view::npos) {
        return Error::input(
            "server URL must not carry credentials; use --user and --password-file");
    }
    if (!port.empty() || authority.ends_with(':')) {
        if (!valid_port(port)) {
            return Error::input("server URL has an invalid port \"" + std::string(port) + "\"");
        }
        url.port = std::string(port);
    }
    boost::system::error_code ec;
    boost::asio::ip::make_address(url.host, ec);
    url.host_is_ip = !ec;
    if (authority.starts_with('[') && !url.host_is_ip) {
        return Error::input("server URL has an invalid IPv6 address \"" + url.host + "\"");
    }
    return url;
}

}  // namespace

std::string ServerUrl::authority() const {
    const bool v6 = host.find(':') != std::string::npos;
    const std::string shown = v6 ? "[" + host + "]" : host;
    return port == "443" ? shown : shown + ":" + port;
}

Result<ServerUrl> parse_server_url(std::string_view text) {
    constexpr std::string_view kScheme = "https://";
    if (text.size() < kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), text.begin(), [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
        })) {
        return Error::input("server URL must start with https:// (EST runs only over TLS): \"" +
                            std::string(text) + "\"");
    }
    const std::string_view rest = text.substr(kScheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos) {
        return Error::input("server URL must not have a query or fragment");
    }
    const auto slash = rest.find('/');
    auto url = parse_authority(rest.substr(0, slash));
    if (!url) {
        return url;
    }
    if (slash != std::string_view::npos) {
        std::string base(rest.substr(slash));
        while (!base.empty() && base.back() == '/') {
            base.pop_back();
        }
        if (base.find_first_of(" \t\r\n") != std::string::npos) {
            return Error::input("server URL path must not contain whitespace");
        }
        url->base = std::move(base);
    }
    return url;
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
