#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace estd {

// What went wrong, in the domain's words. The server's answer to each kind
// (HTTP status, headers, the operator API's JSON) is chosen in http/ only;
// estctl chooses its exit code from it.
enum class ErrorKind {
    // Refusals of a request: the caller can do something about them.
    bad_request,   // malformed, or refused by policy
    unauthorized,  // no or wrong credentials
    forbidden,     // authenticated, and not allowed
    not_found,
    conflict,              // e.g. a channel binding for another connection
    tls_upgrade_required,  // this connection's TLS cannot give what is asked; TLS 1.3 can
    rate_limited,          // retry_after says when
    // Failures on this side.
    not_implemented,
    unavailable,       // for now: a busy or unreachable dependency; retry_after when known
    upstream_failure,  // a server this one called failed (a webhook)
    internal,
    // A client's failures (estctl, talking to a server).
    input,     // a file or argument the caller gave cannot be used
    network,   // resolve, connect, read, write, timeout
    tls,       // handshake, certificate verification, channel binding
    http,      // the server answered with a non-success status (remote_status)
    protocol,  // the server answered 2xx with something that is not EST
};

// True for the kinds that refuse a request rather than fail to serve it.
constexpr bool is_refusal(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::bad_request:
        case ErrorKind::unauthorized:
        case ErrorKind::forbidden:
        case ErrorKind::not_found:
        case ErrorKind::conflict:
        case ErrorKind::tls_upgrade_required:
        case ErrorKind::rate_limited:
            return true;
        default:
            return false;
    }
}

// How an unauthorized caller is told to authenticate, when the refusal
// names one mechanism.
enum class AuthChallenge {
    none,
    basic,  // HTTP Basic: the enrollment password
};

// The one error type of the project: its kind, what the caller is told
// (message) and what the audit trail records (audit code). Errors travel as
// values through Result<T>; http/ turns them into a response.
struct Error {
    ErrorKind kind = ErrorKind::internal;
    std::string audit_code;
    std::string message;
    // When asking again may succeed (rate_limited, unavailable). The default
    // member initializers keep Error{kind, code, message} free of
    // missing-initializer warnings.
    std::optional<std::chrono::seconds> retry_after = {};
    AuthChallenge challenge = AuthChallenge::none;
    unsigned remote_status = 0;  // kind http: the status the server answered

    static Error bad_request(std::string message, std::string audit_code = {}) {
        return {ErrorKind::bad_request, std::move(audit_code), std::move(message)};
    }
    static Error internal(std::string message, std::string audit_code = {}) {
        return {ErrorKind::internal, std::move(audit_code), std::move(message)};
    }
    static Error input(std::string message) { return {ErrorKind::input, {}, std::move(message)}; }
    static Error network(std::string message) {
        return {ErrorKind::network, {}, std::move(message)};
    }
    static Error tls(std::string message) { return {ErrorKind::tls, {}, std::move(message)}; }
    static Error protocol(std::string message) {
        return {ErrorKind::protocol, {}, std::move(message)};
    }
    // message: the status line and the server's text.
    static Error http(unsigned remote_status, std::string message) {
        Error error{ErrorKind::http, {}, std::move(message)};
        error.remote_status = remote_status;
        return error;
    }
};

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { return std::get<Error>(state_); }
    Error&& take_error() && { return std::get<Error>(std::move(state_)); }

  private:
    std::variant<T, Error> state_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace estd
