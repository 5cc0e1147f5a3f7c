#include "estd/config/env_parsing.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <netinet/in.h>

namespace estd::config::env {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}
char upper(char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

std::optional<std::int64_t> unit_seconds(char unit) {
    switch (lower(unit)) {
        case 's':
            return 1;
        case 'm':
            return 60;
        case 'h':
            return 3600;
        case 'd':
            return 86400;
        default:
            return std::nullopt;
    }
}

bool valid_address(const std::string& address, int family) {
    in6_addr buffer{};  // large enough for both families
    return inet_pton(family, address.c_str(), &buffer) == 1;
}

}  // namespace

std::string trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    return std::string(text);
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (true) {
        const auto comma = text.find(',');
        auto entry = trim(text.substr(0, comma));
        if (!entry.empty()) {
            out.push_back(std::move(entry));
        }
        if (comma == std::string_view::npos) {
            return out;
        }
        text.remove_prefix(comma + 1);
    }
}

std::string env_id(std::string_view id) {
    std::string out(id);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c == '-' ? '_' : upper(c); });
    return out;
}

std::optional<bool> parse_bool(std::string_view text) {
    const auto value = to_lower(trim(text));
    if (value == "true" || value == "1") {
        return true;
    }
    if (value == "false" || value == "0") {
        return false;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t max) {
    const auto value = trim(text);
    if (value.empty() || value.size() > 20) {
        return std::nullopt;
    }
    std::uint64_t result = 0;
    for (char c : value) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (result > (max - digit) / 10) {
            return std::nullopt;
        }
        result = result * 10 + digit;
    }
    return result;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    const auto value = trim(text);
    const bool negative = !value.empty() && value.front() == '-';
    const auto magnitude =
        parse_unsigned(negative ? std::string_view(value).substr(1) : std::string_view(value),
                       static_cast<std::uint64_t>(INT64_MAX));
    if (!magnitude || (negative && value.size() > 1 && !is_digit(value[1]))) {
        return std::nullopt;
    }
    const auto result = static_cast<std::int64_t>(*magnitude);
    return negative ? -result : result;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    const auto value = trim(text);
    if (const auto plain = parse_unsigned(value, INT64_MAX)) {
        return std::chrono::seconds(static_cast<std::int64_t>(*plain));
    }
    std::string_view rest(value);
    std::int64_t total = 0;
    if (rest.empty()) {
        return std::nullopt;
    }
    while (!rest.empty()) {
        std::size_t digits = 0;
        while (digits < rest.size() && is_digit(rest[digits])) {
            ++digits;
        }
        if (digits == 0 || digits == rest.size()) {
            return std::nullopt;  // a unit without a number, or a number without a unit
        }
        const auto number = parse_unsigned(rest.substr(0, digits), INT64_MAX);
        const auto unit = unit_seconds(rest[digits]);
        std::int64_t part = 0;
        if (!number || !unit ||
            __builtin_mul_overflow(static_cast<std::int64_t>(*number), *unit, &part) ||
            __builtin_add_overflow(total, part, &total)) {
            return std::nullopt;
        }
        rest.remove_prefix(digits + 1);
    }
    return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds duration) {
    auto remaining = duration.count();
    if (remaining <= 0) {
        return std::to_string(remaining) + "s";
    }
    std::string out;
    using Unit = std::pair<char, std::int64_t>;
    for (const auto& [unit, seconds] :
         {Unit{'d', 86400}, Unit{'h', 3600}, Unit{'m', 60}, Unit{'s', 1}}) {
        if (remaining >= seconds) {
            out += std::to_string(remaining / seconds) + unit;
            remaining %= seconds;
        }
    }
    return out;
}

std::optional<std::string> normalize_cidr(std::string_view text) {
    const auto value = trim(text);
    const auto slash = value.find('/');
    const auto address = value.substr(0, slash);
    const bool v6 = address.find(':') != std::string::npos;
    if (!valid_address(address, v6 ? AF_INET6 : AF_INET)) {
        return std::nullopt;
    }
    const std::uint64_t max_prefix = v6 ? 128 : 32;
    if (slash == std::string::npos) {
        return address + "/" + std::to_string(max_prefix);
    }
    const auto prefix_text = std::string_view(value).substr(slash + 1);
    const auto prefix = parse_unsigned(prefix_text, max_prefix);
    if (!prefix || trim(prefix_text) != prefix_text) {
        return std::nullopt;
    }
    return address + "/" + std::to_string(*prefix);
}

bool valid_path_id(std::string_view path_id) {
    if (path_id.empty() || path_id.front() == '-' || path_id.back() == '-') {
        return false;
    }
    return std::all_of(path_id.begin(), path_id.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace estd::config::env
