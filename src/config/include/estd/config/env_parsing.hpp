#pragma once

// Small pure parsers for environment values. Each returns std::nullopt when
// the text is not acceptable; the caller names the variable in its problem.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estd::config::env {

// Leading and trailing spaces, tabs, CR and LF removed.
std::string trim(std::string_view text);
std::string to_lower(std::string_view text);

// Comma-separated list: entries trimmed, empty entries dropped.
std::vector<std::string> split_list(std::string_view text);

// An ID as it appears inside a variable name: upper-cased, '-' turned into
// '_' (iss-corp -> ISS_CORP, cp-wifi-eap-tls -> CP_WIFI_EAP_TLS).
std::string env_id(std::string_view id);

// true/false/1/0, any case, surrounding blanks ignored.
std::optional<bool> parse_bool(std::string_view text);

// A decimal number without sign, at most `max`.
std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t max = UINT64_MAX);

// A decimal number with an optional leading '-'.
std::optional<std::int64_t> parse_integer(std::string_view text);

// Plain seconds ("90") or a sequence of number+unit with units s, m, h, d
// ("30s", "5m", "1h", "365d", "1h30m").
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The shortest form parse_duration reads back: "1h", "365d", "1h30m", "0s".
std::string format_duration(std::chrono::seconds duration);

// An IPv4 or IPv6 address with an optional /prefix (at most 32 or 128),
// returned as a CIDR ("10.0.0.1" -> "10.0.0.1/32").
std::optional<std::string> normalize_cidr(std::string_view text);

// [a-z0-9-]+ without a leading or trailing '-'.
bool valid_path_id(std::string_view path_id);

// Number of single-character edits between two strings.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace estd::config::env
