#pragma once

#include <string>
#include <string_view>

#include "estd/core/error.hpp"
#include "estd/net/server.hpp"

namespace estd::http {

// Builds a response that mirrors the request's HTTP version and keep-alive.
net::Response make_response(const net::Request& req, unsigned status, std::string_view content_type,
                            std::string body);
net::Response text_response(const net::Request& req, unsigned status, std::string_view text);
// The one place an Error becomes a text response: the status and headers of
// error_status.hpp and a text/plain body that says what was wrong.
net::Response error_response(const net::Request& req, const Error& error);

}  // namespace estd::http
