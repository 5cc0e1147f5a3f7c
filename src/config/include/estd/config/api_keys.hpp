#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "estd/config/config.hpp"

namespace estd::config {

struct ApiKeysParse {
    std::vector<ApiKey> keys;
    std::vector<std::string> problems;  // never quote a key
};

// CERTCTL_API_KEYS_NAMED: comma-separated `name:key` or `name:key:admin`.
// The name is [A-Za-z0-9._-]+ and unique; the key is everything after the
// first ':' (less a trailing ":admin"), at least 16 characters, not shared by
// two names (the actor would be ambiguous), without blanks or commas.
ApiKeysParse parse_api_keys(std::string_view text);

}  // namespace estd::config
