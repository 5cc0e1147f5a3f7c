#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace estd {

// %XX and '+' decoded (RFC 3986 escapes; '+' is a space in a query string,
// a plus elsewhere); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = true);

}  // namespace estd
