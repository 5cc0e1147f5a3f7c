#include "estd/https/url.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/ip/address.hpp>

namespace estd::https {

namespace {

bool is_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool valid_port(std::string_view port) {
    if (!is_digits(port) || port.size() > 5) {
        return false;
    }
    const int value = std::stoi(std::string(port));
    return value > 0 && value <= 65535;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return a == std::tolower(static_cast<unsigned char>(b));
           });
}

const char* default_port(bool tls) {
    return tls ? "443" : "80";
}

// Splits "host[:port]" or "[v6][:port]" into url's host and port.
Status parse_authority(std::string_view authority, Url& url) {
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return Error::input("URL has an unterminated IPv6 address");
        }
        url.host = std::string(authority.substr(1, close - 1));
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(':')) {
                return Error::input("URL has garbage after the IPv6 address");
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
            return Error::input("URL: put an IPv6 address in brackets, [::1]:8443");
        }
    }
    if (url.host.empty()) {
        return Error::input("URL has no host");
    }
    if (authority.find('@') != std::string_view::npos) {
        return Error::input("URL must not carry credentials");
    }
    url.port = default_port(url.tls);
    if (!port.empty() || authority.ends_with(':')) {
        if (!valid_port(port)) {
            return Error::input("URL has an invalid port \"" + std::string(port) + "\"");
        }
        url.port = std::string(port);
    }
    boost::system::error_code ec;
    boost::asio::ip::make_address(url.host, ec);
    url.host_is_ip = !ec;
    if (authority.starts_with('[') && !url.host_is_ip) {
        return Error::input("URL has an invalid IPv6 address \"" + url.host + "\"");
    }
    return Ok{};
}

}  // namespace

std::string Url::authority() const {
    const bool v6 = host.find(':') != std::string::npos;
    const std::string shown = v6 ? "[" + host + "]" : host;
    return port == default_port(tls) ? shown : shown + ":" + port;
}

Result<Url> parse_url(std::string_view text) {
    Url url;
    std::string_view rest;
    if (starts_with_nocase(text, "https://")) {
        rest = text.substr(8);
    } else if (starts_with_nocase(text, "http://")) {
        url.tls = false;
        rest = text.substr(7);
    } else {
        return Error::input("URL must start with http:// or https://");
    }
    const auto path = rest.find_first_of("/?#");
    if (auto authority = parse_authority(rest.substr(0, path), url); !authority) {
        return std::move(authority).take_error();
    }
    if (path != std::string_view::npos) {
        const std::string_view target = rest.substr(path);
        url.target = target.starts_with('/') ? std::string(target) : "/" + std::string(target);
    }
    if (url.target.find_first_of(" \t\r\n") != std::string::npos) {
        return Error::input("URL path must not contain whitespace");
    }
    return url;
}

}  // namespace estd::https
