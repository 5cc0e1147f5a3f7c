#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace estd {

// The one error type of the project: what the client is told (status +
// message) and what the audit trail records (audit code). Errors travel as
// values through Result<T>; they are turned into a response in one place.
struct Error {
    int status = 500;
    std::string audit_code;
    std::string message;
    // Response headers the status needs (Retry-After on 429,
    // WWW-Authenticate on a Basic 401). The default member initializer keeps
    // Error{status, code, message} free of missing-initializer warnings.
    std::vector<std::pair<std::string, std::string>> headers = {};

    static Error bad_request(std::string message, std::string audit_code = {}) {
        return {400, std::move(audit_code), std::move(message)};
    }
    static Error internal(std::string message, std::string audit_code = {}) {
        return {500, std::move(audit_code), std::move(message)};
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
