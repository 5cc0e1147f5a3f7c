#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace estd::est {

enum class Operation { cacerts, simpleenroll, simplereenroll, csrattrs, serverkeygen, fullcmc };

// Which URL family a request came in on: /.well-known/est/ (anonymous or
// Basic) or /.well-known/est-mtls/ (client certificate).
enum class RouteFamily { est, est_mtls };

struct EstRoute {
    RouteFamily family = RouteFamily::est;
    std::string path_id;  // empty = the legacy root profile
    Operation operation = Operation::cacerts;
};

std::optional<Operation> parse_operation(std::string_view name);
std::string_view operation_name(Operation op);
bool is_enrollment(Operation op);  // simpleenroll, simplereenroll, serverkeygen
// The operation sends a body (HTTP POST); cacerts and csrattrs do not (GET).
bool operation_takes_body(Operation op);

// The operation's own audit codes (e.g. est_simple_enroll_success).
std::string_view success_code(Operation op);
std::string_view failure_code(Operation op);

}  // namespace estd::est
