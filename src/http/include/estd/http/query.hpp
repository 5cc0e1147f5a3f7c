#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace estd::http {

// The query string of a request target as name -> value (the last one wins),
// nullopt when an escape is malformed or there are more than `max_params`.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view target,
                                                              std::size_t max_params = 32);

// RFC 3339 date-time: 2026-11-27T23:53:27Z, with optional fraction and a
// Z or ±hh:mm offset. A bare date (2026-11-27) means its midnight UTC.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// True when JSON text nests arrays/objects at most `max_depth` deep; checked
// before parsing so a hostile body cannot exhaust the stack.
bool json_depth_within(std::string_view text, int max_depth);

}  // namespace estd::http
