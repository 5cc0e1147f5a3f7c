#include "estd/auth/basic_gate.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "estd/pki/base64.hpp"

namespace estd::auth {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

}  // namespace

BasicCredentials::~BasicCredentials() {
    if (!password.empty()) {
        OPENSSL_cleanse(password.data(), password.size());
    }
}

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header_value) {
    if (header_value.size() > kMaxAuthorizationBytes) {
        return std::nullopt;
    }
    const auto space = header_value.find(' ');
    if (space == std::string_view::npos ||
        !equals_ignoring_case(header_value.substr(0, space), "basic")) {
        return std::nullopt;
    }
    auto token = header_value.substr(space + 1);
    while (!token.empty() && token.front() == ' ') {
        token.remove_prefix(1);
    }
    auto decoded = pki::base64_decode_lenient(token);
    if (!decoded || decoded->empty()) {
        return std::nullopt;
    }
    std::string text(decoded->begin(), decoded->end());
    OPENSSL_cleanse(decoded->data(), decoded->size());
    const auto colon = text.find(':');
    std::optional<BasicCredentials> out;
    if (colon != std::string::npos) {
        out.emplace(text.substr(0, colon), text.substr(colon + 1));
    }
    OPENSSL_cleanse(text.data(), text.size());
    return out;
}

Result<BasicGate> BasicGate::create(std::string_view password) {
    BasicGate gate;
    if (RAND_bytes(gate.key_.data(), static_cast<int>(gate.key_.size())) != 1) {
        return Error::internal("no randomness for the Basic gate's digest key");
    }
    gate.expected_ = gate.digest(password);
    return gate;
}

BasicGate::~BasicGate() {
    OPENSSL_cleanse(key_.data(), key_.size());
    OPENSSL_cleanse(expected_.data(), expected_.size());
}

BasicGate::Digest BasicGate::digest(std::string_view password) const {
    Digest out{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(password.data()), password.size(), out.data(),
         &length);
    return out;
}

bool BasicGate::accepts(std::string_view password) const {
    const Digest presented = digest(password);
    return CRYPTO_memcmp(presented.data(), expected_.data(), presented.size()) == 0;
}

}  // namespace estd::auth
