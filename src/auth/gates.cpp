#include "estd/auth/gates.hpp"

#include <string>

#include "estd/audit/audit_codes.hpp"
#include "estd/auth/client_address.hpp"
#include "estd/pki/certificate.hpp"

namespace estd::auth {
namespace {

using Clock = std::chrono::steady_clock;

Error basic_failure(ErrorKind kind, std::string message) {
    Error error{kind, std::string(audit::codes::kAuthFailedBasic), std::move(message)};
    if (kind == ErrorKind::unauthorized) {
        error.challenge = AuthChallenge::basic;
    }
    return error;
}

std::string seconds_text(std::chrono::seconds wait) {
    return std::to_string(wait.count()) + "s";
}

}  // namespace

Status check_basic(ProfileAuth& auth, std::string_view authorization,
                   std::string_view client_address) {
    if (!auth.basic) {
        return Ok{};
    }
    const auto now = Clock::now();
    const std::string source = source_limit_key(client_address);
    auto wait = auth.failed_basic.lockout(source, now);
    if (!wait && auth.shared_failed_basic) {
        wait = auth.shared_failed_basic->wait(source);
    }
    if (wait) {
        Error error = basic_failure(ErrorKind::rate_limited,
                                    "too many failed Basic attempts from " + source +
                                        ": locked out for another " + seconds_text(*wait) +
                                        " (the right password does not lift a lockout)");
        error.retry_after = *wait;
        return error;
    }
    if (authorization.empty()) {
        return basic_failure(ErrorKind::unauthorized,
                             "this operation requires HTTP Basic credentials (the "
                             "profile's enrollment password)");
    }
    const auto credentials = parse_basic_authorization(authorization);
    if (!credentials) {
        return basic_failure(ErrorKind::unauthorized,
                             "the Authorization header is not readable HTTP Basic");
    }
    if (!auth.basic->accepts(credentials->password)) {
        auth.failed_basic.record_failure(source, now);
        if (auth.shared_failed_basic) {
            auth.shared_failed_basic->count(source);
        }
        return basic_failure(ErrorKind::unauthorized, "wrong enrollment password");
    }
    return Ok{};
}

Status check_principal_rate(ProfileAuth& auth, const pki::Csr& csr,
                            std::string_view client_address) {
    if (!auth.per_principal) {
        return Ok{};
    }
    const std::string cn = pki::common_name(csr.subject());
    const std::string principal = principal_key(cn, client_address);
    // The shared count is only read first: a refused enrollment is counted
    // nowhere.
    std::optional<std::chrono::seconds> wait;
    if (auth.shared_per_principal) {
        wait = auth.shared_per_principal->wait(principal);
    }
    if (!wait) {
        wait = auth.per_principal->try_acquire(principal, Clock::now());
    }
    if (!wait) {
        if (auth.shared_per_principal) {
            auth.shared_per_principal->count(principal);
        }
        return Ok{};
    }
    Error error{ErrorKind::rate_limited, std::string(audit::codes::kRateLimited),
                "rate limited: CN \"" + cn + "\" from " + std::string(client_address) +
                    " reached this profile's limit of enrollments per 24 hours; retry in " +
                    seconds_text(*wait)};
    error.retry_after = *wait;
    return error;
}

}  // namespace estd::auth
