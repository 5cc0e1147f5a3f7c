#include "estd/http/api_keys.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>

#include "estd/pki/digest.hpp"

namespace estd::http {
namespace {

constexpr std::size_t kMaxAuthorizationBytes = 1024;

bool starts_with_bearer(std::string_view value) {
    constexpr std::string_view kScheme = "bearer ";
    return value.size() > kScheme.size() &&
           std::equal(kScheme.begin(), kScheme.end(), value.begin(), [](char a, char b) {
               return a == std::tolower(static_cast<unsigned char>(b));
           });
}

}  // namespace

ApiKeyAuthenticator::ApiKeyAuthenticator(const std::vector<config::ApiKey>& keys) {
    for (const auto& key : keys) {
        entries_.push_back({ApiCaller{key.name, key.admin}, digest(key.key)});
    }
}

ApiKeyAuthenticator::Digest ApiKeyAuthenticator::digest(std::string_view key) {
    return pki::sha256(key).value_or(Digest{});
}

std::optional<ApiCaller> ApiKeyAuthenticator::authenticate(std::string_view authorization) const {
    if (authorization.size() > kMaxAuthorizationBytes || !starts_with_bearer(authorization)) {
        return std::nullopt;
    }
    std::string_view key = authorization.substr(7);
    while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) {
        key.remove_prefix(1);
    }
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) {
        key.remove_suffix(1);
    }
    if (key.empty()) {
        return std::nullopt;
    }
    // Digests have one length whatever the key's, and every entry is
    // compared: no early exit on a match.
    const Digest presented = digest(key);
    const Entry* match = nullptr;
    for (const auto& entry : entries_) {
        const bool same =
            CRYPTO_memcmp(entry.digest.data(), presented.data(), presented.size()) == 0;
        match = same ? &entry : match;
    }
    if (match == nullptr) {
        return std::nullopt;
    }
    return match->caller;
}

}  // namespace estd::http
