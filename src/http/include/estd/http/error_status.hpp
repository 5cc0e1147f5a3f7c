#pragma once

// How an Error is told over HTTP: the status of its kind and the headers it
// needs. The only place a kind becomes a status; error_response (text) and
// the operator API (JSON) both answer through it.

#include <string>
#include <utility>
#include <vector>

#include "estd/core/error.hpp"

namespace estd::http {

unsigned status_of(ErrorKind kind);

// In the order they are set: WWW-Authenticate for a Basic challenge,
// Retry-After in seconds, Upgrade: TLS/1.3 on a 426 (RFC 9110 §15.5.22).
std::vector<std::pair<std::string, std::string>> headers_of(const Error& error);

}  // namespace estd::http
