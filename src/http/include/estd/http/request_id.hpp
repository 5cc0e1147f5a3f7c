#pragma once

#include <string>

namespace estd::http {

// A new request id (X-Request-Id, the audit trail): 16 hex digits, half of a
// block cipher's image of a counter under a key drawn at start. As unlikely
// to repeat as 64 random bits, as unpredictable, and unrelated to how many
// requests the server has answered. Thread-safe.
std::string new_request_id();

}  // namespace estd::http
