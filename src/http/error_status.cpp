#include "estd/http/error_status.hpp"

#include "estd/auth/basic_gate.hpp"

namespace estd::http {

unsigned status_of(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::bad_request:
            return 400;
        case ErrorKind::unauthorized:
            return 401;
        case ErrorKind::forbidden:
            return 403;
        case ErrorKind::not_found:
            return 404;
        case ErrorKind::conflict:
            return 409;
        case ErrorKind::tls_upgrade_required:
            return 426;
        case ErrorKind::rate_limited:
            return 429;
        case ErrorKind::not_implemented:
            return 501;
        case ErrorKind::unavailable:
            return 503;
        case ErrorKind::internal:
        case ErrorKind::input:
            return 500;
        // A client's failures, should one reach an answer: another server failed us.
        case ErrorKind::upstream_failure:
        case ErrorKind::network:
        case ErrorKind::tls:
        case ErrorKind::http:
        case ErrorKind::protocol:
            return 502;
    }
    return 500;
}

std::vector<std::pair<std::string, std::string>> headers_of(const Error& error) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (error.challenge == AuthChallenge::basic && error.kind == ErrorKind::unauthorized) {
        headers.emplace_back("WWW-Authenticate", std::string(auth::kBasicChallenge));
    }
    if (error.retry_after) {
        headers.emplace_back("Retry-After", std::to_string(error.retry_after->count()));
    }
    if (error.kind == ErrorKind::tls_upgrade_required) {
        headers.emplace_back("Upgrade", "TLS/1.3");
    }
    return headers;
}

}  // namespace estd::http
