#pragma once

#include <string>
#include <utility>
#include <variant>

namespace estd::client {

// Why a client operation failed; a program maps the kind to its exit code.
enum class ErrorKind {
    input,     // a file or argument the caller gave cannot be used
    network,   // resolve, connect, read, write, timeout
    tls,       // handshake, certificate verification, channel binding
    http,      // the server answered with a non-success status
    protocol,  // the server answered 2xx with something that is not EST
};

struct ClientError {
    ErrorKind kind = ErrorKind::input;
    unsigned http_status = 0;  // only for ErrorKind::http
    std::string message;       // for http: the status line and the server's text

    static ClientError input(std::string message) {
        return {ErrorKind::input, 0, std::move(message)};
    }
    static ClientError network(std::string message) {
        return {ErrorKind::network, 0, std::move(message)};
    }
    static ClientError tls(std::string message) { return {ErrorKind::tls, 0, std::move(message)}; }
    static ClientError protocol(std::string message) {
        return {ErrorKind::protocol, 0, std::move(message)};
    }
};

// A value or the ClientError saying why there is none (the project's
// Result<T>, with the client's richer error).
template <class T>
class [[nodiscard]] Expected {
  public:
    Expected(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Expected(ClientError error)
        : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const ClientError& error() const { return std::get<ClientError>(state_); }
    ClientError&& take_error() && { return std::get<ClientError>(std::move(state_)); }

  private:
    std::variant<T, ClientError> state_;
};

struct Done {};
using Outcome = Expected<Done>;

}  // namespace estd::client
