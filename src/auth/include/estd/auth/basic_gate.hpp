#pragma once

// HTTP Basic for a profile's enrollment password (the guide's "basic" auth
// mode), compared so that neither where a guess differs nor the password's
// length shows in the time taken.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "estd/core/error.hpp"

namespace estd::auth {

// user:password from an Authorization header. The password is wiped from
// memory when the value is destroyed.
struct BasicCredentials {
    std::string user;
    std::string password;

    BasicCredentials() = default;
    BasicCredentials(std::string u, std::string p) : user(std::move(u)), password(std::move(p)) {}
    BasicCredentials(const BasicCredentials&) = delete;
    BasicCredentials& operator=(const BasicCredentials&) = delete;
    BasicCredentials(BasicCredentials&&) = default;
    BasicCredentials& operator=(BasicCredentials&&) = default;
    ~BasicCredentials();
};

// Authorization headers longer than this are refused unread: a password is
// not kilobytes long, and the header budget of the listener is shared.
inline constexpr std::size_t kMaxAuthorizationBytes = 1024;

// "Basic <base64 of user:password>" (scheme case-insensitive, RFC 7617).
// nullopt for another scheme, bad base64, a missing ':' or an oversized value.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header_value);

// The value of WWW-Authenticate on a 401 from the Basic gate.
inline constexpr std::string_view kBasicChallenge = "Basic realm=\"estd\"";
// The value of WWW-Authenticate on a 401 that only a TLS client certificate
// can answer (est-mtls routes, simplereenroll, mTLS-only profiles). HTTP has
// no registered scheme for "present a client certificate"; docs/protocol.md
// says what this one means.
inline constexpr std::string_view kMutualChallenge = "Mutual realm=\"estd\"";

// Holds only a keyed digest of the password (HMAC-SHA-256 under a random
// per-process key), never the password itself. accepts() digests the guess
// the same way and compares the two 32-byte digests with CRYPTO_memcmp:
// the comparison takes the same time whatever the guess and whatever the
// password's length. The user name is not checked: the guide's password is
// a per-profile shared secret, and libest's estclient sends any user name.
class BasicGate {
  public:
    // Fails only when the process has no randomness for the key.
    static Result<BasicGate> create(std::string_view password);
    ~BasicGate();
    BasicGate(const BasicGate&) = default;
    BasicGate& operator=(const BasicGate&) = default;

    bool accepts(std::string_view password) const;

  private:
    BasicGate() = default;
    using Digest = std::array<std::uint8_t, 32>;
    Digest digest(std::string_view password) const;

    std::array<std::uint8_t, 32> key_{};
    Digest expected_{};
};

}  // namespace estd::auth
