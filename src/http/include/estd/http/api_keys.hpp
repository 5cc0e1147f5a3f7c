#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estd/config/config.hpp"

namespace estd::http {

// Who called the operator API.
struct ApiCaller {
    std::string name;  // the key's name: the actor in audit rows
    bool admin = false;
};

// Bearer keys of the operator API. Only SHA-256 digests of the keys are
// kept; a presented key is digested and compared with every configured
// digest using CRYPTO_memcmp, without stopping at a match, so the time taken
// says nothing about which key (or how much of one) matched.
class ApiKeyAuthenticator {
  public:
    explicit ApiKeyAuthenticator(const std::vector<config::ApiKey>& keys);

    // The caller for an Authorization header value ("Bearer <key>", scheme
    // case-insensitive); nullopt when absent, malformed or unknown.
    std::optional<ApiCaller> authenticate(std::string_view authorization) const;
    bool empty() const { return entries_.empty(); }

  private:
    using Digest = std::array<std::uint8_t, 32>;
    struct Entry {
        ApiCaller caller;
        Digest digest;
    };
    static Digest digest(std::string_view key);
    std::vector<Entry> entries_;
};

}  // namespace estd::http
