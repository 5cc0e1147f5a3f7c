#include "estd/policy/name_syntax.hpp"

#include <arpa/inet.h>
#include <array>
#include <cstdio>

namespace estd::policy {
namespace {

constexpr std::size_t kMaxDnsName = 253;
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxMailbox = 254;

bool alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool digit(char c) {
    return c >= '0' && c <= '9';
}

bool hex(char c) {
    return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool contains(std::string_view set, char c) {
    return set.find(c) != std::string_view::npos;
}

// RFC 5322 atext.
bool atext(char c) {
    return alpha(c) || digit(c) || contains("!#$%&'*+-/=?^_`{|}~", c);
}

// RFC 3986 unreserved, gen-delims and sub-delims ('%' apart).
bool uri_char(char c) {
    return alpha(c) || digit(c) || contains("-._~:/?#[]@!$&'()*+,;=", c);
}

std::optional<std::string> label_problem(std::string_view label) {
    if (label.empty()) {
        return "has an empty label";
    }
    if (label.find('*') != std::string_view::npos) {
        return "has '*' other than as its whole leftmost label";
    }
    if (label.size() > kMaxLabel) {
        return "has a label longer than 63 characters";
    }
    for (const char c : label) {
        if (!alpha(c) && !digit(c) && c != '-') {
            return "has a character other than letters, digits, '-' and '.' (an "
                   "internationalized name goes as A-labels, xn--...)";
        }
    }
    if (label.front() == '-' || label.back() == '-') {
        return "has a label that starts or ends with '-'";
    }
    return std::nullopt;
}

bool ipv4(std::string_view text) {
    std::array<unsigned char, 4> out{};
    return text.size() < 16 && inet_pton(AF_INET, std::string(text).c_str(), out.data()) == 1;
}

bool ipv6(std::string_view text) {
    std::array<unsigned char, 16> out{};
    return text.size() < 46 && inet_pton(AF_INET6, std::string(text).c_str(), out.data()) == 1;
}

bool all_digits(std::string_view text) {
    for (const char c : text) {
        if (!digit(c)) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> quoted_local_part(std::string_view local) {
    if (local.size() < 2 || local.back() != '"') {
        return "has an unterminated quoted local part";
    }
    const auto inner = local.substr(1, local.size() - 2);
    for (std::size_t i = 0; i < inner.size(); ++i) {
        const char c = inner[i];
        if (c == '\\') {
            if (++i == inner.size() || inner[i] < 32 || inner[i] > 126) {
                return "has a bad quoted pair in its local part";
            }
        } else if (c < 32 || c > 126 || c == '"') {
            return "has a character not allowed in a quoted local part";
        }
    }
    return std::nullopt;
}

std::optional<std::string> dot_string(std::string_view local) {
    std::size_t start = 0;
    while (start <= local.size()) {
        const auto end = std::min(local.find('.', start), local.size());
        const auto atom = local.substr(start, end - start);
        if (atom.empty()) {
            return "has an empty part between dots in its local part";
        }
        for (const char c : atom) {
            if (!atext(c)) {
                return "has a character not allowed in a local part (letters, digits and "
                       "!#$%&'*+-/=?^_`{|}~, or a quoted string)";
            }
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::optional<std::string> host_problem(std::string_view host) {
    if (host.empty()) {
        return "has no host";
    }
    if (host.front() == '[') {
        if (host.back() != ']' || !ipv6(host.substr(1, host.size() - 2))) {
            return "has a bracketed host that is not an IPv6 address";
        }
        return std::nullopt;
    }
    if (ipv4(host)) {
        return std::nullopt;
    }
    if (auto problem = dns_name_problem(host, false)) {
        return "has a host that " + *problem;
    }
    return std::nullopt;
}

// "//" authority: [userinfo "@"] host [":" port].
std::optional<std::string> authority_problem(std::string_view authority) {
    const auto at = authority.rfind('@');
    auto host = at == std::string_view::npos ? authority : authority.substr(at + 1);
    const auto bracket = host.rfind(']');
    const auto colon = host.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        if (!all_digits(host.substr(colon + 1))) {
            return "has a port that is not a number";
        }
        host = host.substr(0, colon);
    }
    return host_problem(host);
}

}  // namespace

std::optional<std::string> dns_name_problem(std::string_view name, bool wildcard_allowed) {
    if (name.empty()) {
        return "is empty";
    }
    if (name.size() > kMaxDnsName) {
        return "is longer than 253 characters";
    }
    std::size_t start = 0;
    std::size_t labels = 0;
    bool wildcard = false;
    while (start <= name.size()) {
        const auto end = std::min(name.find('.', start), name.size());
        const auto label = name.substr(start, end - start);
        if (labels == 0 && label == "*") {
            wildcard = true;
        } else if (auto problem = label_problem(label)) {
            return problem;
        }
        ++labels;
        start = end + 1;
    }
    if (wildcard && !wildcard_allowed) {
        return "is a wildcard, which needs a certificate profile with ALLOW_WILDCARD_DNS";
    }
    if (wildcard && labels < 3) {
        return "is a wildcard over fewer than two labels";
    }
    return std::nullopt;
}

std::optional<std::string> email_problem(std::string_view address) {
    if (address.size() > kMaxMailbox) {
        return "is longer than 254 characters";
    }
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) {
        return "has no '@'";
    }
    const auto local = address.substr(0, at);
    if (local.empty()) {
        return "has an empty local part";
    }
    if (local.size() > kMaxLocalPart) {
        return "has a local part longer than 64 characters";
    }
    if (auto problem = local.front() == '"' ? quoted_local_part(local) : dot_string(local)) {
        return problem;
    }
    if (auto problem = dns_name_problem(address.substr(at + 1), false)) {
        return "has a domain that " + *problem;
    }
    return std::nullopt;
}

std::optional<std::string> uri_problem(std::string_view uri) {
    const auto colon = uri.find(':');
    if (colon == std::string_view::npos || colon == 0 || !alpha(uri.front())) {
        return "has no scheme";
    }
    for (const char c : uri.substr(0, colon)) {
        if (!alpha(c) && !digit(c) && !contains("+-.", c)) {
            return "has a scheme with a character other than letters, digits, '+', '-' and '.'";
        }
    }
    for (std::size_t i = colon + 1; i < uri.size(); ++i) {
        if (uri[i] == '%') {
            if (i + 2 >= uri.size() || !hex(uri[i + 1]) || !hex(uri[i + 2])) {
                return "has a '%' not followed by two hex digits";
            }
            i += 2;
        } else if (!uri_char(uri[i])) {
            return "has a character not allowed in a URI (RFC 3986)";
        }
    }
    const auto rest = uri.substr(colon + 1);
    if (rest.empty()) {
        return "has nothing after its scheme";
    }
    if (rest.starts_with("//")) {
        const auto authority = rest.substr(2, rest.find_first_of("/?#", 2) - 2);
        return authority_problem(authority);
    }
    return std::nullopt;
}

std::optional<std::string> ip_problem(std::size_t octets) {
    if (octets != 4 && octets != 16) {
        return "has " + std::to_string(octets) + " octets (4 for IPv4, 16 for IPv6)";
    }
    return std::nullopt;
}

std::string printable(std::string_view text) {
    constexpr std::size_t kShown = 80;
    std::string out;
    for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            std::array<char, 5> escaped{};
            std::snprintf(escaped.data(), escaped.size(), "\\x%02x", c);
            out += escaped.data();
        }
    }
    if (text.size() > kShown) {
        out += "... (" + std::to_string(text.size()) + " bytes)";
    }
    return out;
}

}  // namespace estd::policy
