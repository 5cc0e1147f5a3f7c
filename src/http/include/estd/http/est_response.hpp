#pragma once

#include <optional>

#include "estd/core/error.hpp"
#include "estd/est/est_call.hpp"
#include "estd/est/operation.hpp"
#include "estd/net/server.hpp"

namespace estd::http {

// The response to an EST call: 200 with the answer's Content-Type (and
// Content-Transfer-Encoding: base64 for the base64 bodies RFC 7030 §4.1.3
// and §4.5.2 define), 204 for no content, or the Error's response, where a
// 401 that names no scheme names the client-certificate one (RFC 9110
// §15.5.2: every 401 says how to authenticate).
net::Response est_response(const net::Request& req, Result<est::EstAnswer> answer);

// The 405 (with Allow) for `op` asked with another method than the one it
// takes; nullopt for the right one.
std::optional<net::Response> wrong_est_method(const net::Request& req, est::Operation op);

}  // namespace estd::http
