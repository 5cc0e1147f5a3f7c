#include "estd/policy/key_algorithm.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>

#include "estd/pki/key_generation.hpp"
#include "estd/policy/violation.hpp"

namespace estd::policy {
namespace {

constexpr BN_ULONG kRsaExponent = 65537;

using Type = config::KeyAlgorithm::Type;

std::string curve_name(EVP_PKEY* key) {
    std::array<char, 64> name{};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", name.data(), name.size(), &length) != 1) {
        return {};
    }
    return std::string(name.data(), length);
}

// The allowed-list type a key is, if any (RSA of any size is Type::rsa).
std::optional<Type> type_of(EVP_PKEY* key) {
    if (EVP_PKEY_is_a(key, "RSA")) {
        return Type::rsa;
    }
    if (EVP_PKEY_is_a(key, "ED25519")) {
        return Type::ed25519;
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        const auto curve = curve_name(key);
        if (curve == "prime256v1" || curve == "P-256") {
            return Type::ec_p256;
        }
        if (curve == "secp384r1" || curve == "P-384") {
            return Type::ec_p384;
        }
    }
    return std::nullopt;
}

// RFC 8017 allows any odd e >= 3; 65537 is what every current guideline
// takes (NIST SP 800-56B, CA/B Forum). e = 1 makes the key no key at all.
Status check_rsa_exponent(std::string_view profile_id, EVP_PKEY* key, bool small_allowed) {
    BIGNUM* read = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &read) != 1) {
        ERR_clear_error();
        return violation(profile_id, dimension::kKeyAlgorithm,
                         "the CSR's RSA public exponent cannot be read");
    }
    const pki::BignumPtr e(read);
    const pki::OpenSslBuffer<char> text(BN_bn2dec(e.get()));
    const std::string shown = text ? std::string(text.get()) : std::string("?");
    if (!BN_is_odd(e.get()) || BN_is_one(e.get())) {
        return violation(profile_id, dimension::kKeyAlgorithm,
                         "the CSR's RSA key has public exponent " + shown +
                             "; an RSA exponent must be odd and at least 65537");
    }
    const bool small = BN_num_bits(e.get()) <= 17 && BN_get_word(e.get()) < kRsaExponent;
    if (small && !small_allowed) {
        return violation(profile_id, dimension::kKeyAlgorithm,
                         "the CSR's RSA key has public exponent " + shown +
                             "; the minimum is 65537 (a certificate profile may take odd "
                             "exponents from 3 with ALLOW_SMALL_RSA_EXPONENT)");
    }
    return Ok{};
}

std::string allowed_names(const std::vector<config::KeyAlgorithm>& allowed) {
    std::string names;
    for (const auto& algorithm : allowed) {
        names += names.empty() ? "" : ", ";
        names += algorithm.name() + (algorithm.type == Type::rsa ? "+" : "");
    }
    return names;
}

}  // namespace

const std::vector<config::KeyAlgorithm>& default_key_algorithms() {
    static const std::vector<config::KeyAlgorithm> algorithms = {
        {Type::rsa, 2048}, {Type::ec_p256, 0}, {Type::ec_p384, 0}, {Type::ed25519, 0}};
    return algorithms;
}

std::string describe_key(EVP_PKEY* key) {
    if (EVP_PKEY_is_a(key, "RSA")) {
        return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        const auto curve = curve_name(key);
        if (curve == "prime256v1") {
            return "EC P-256";
        }
        if (curve == "secp384r1") {
            return "EC P-384";
        }
        return "EC " + (curve.empty() ? std::string("(unknown curve)") : curve);
    }
    const char* name = EVP_PKEY_get0_type_name(key);
    return name != nullptr ? std::string(name) : std::string("an unknown key type");
}

Status check_key_algorithm(std::string_view profile_id,
                           const std::vector<config::KeyAlgorithm>& allowed, EVP_PKEY* key,
                           bool small_rsa_exponent_allowed) {
    const auto type = type_of(key);
    const auto match = std::find_if(allowed.begin(), allowed.end(),
                                    [&](const config::KeyAlgorithm& a) { return a.type == type; });
    if (!type || match == allowed.end()) {
        return violation(
            profile_id, dimension::kKeyAlgorithm,
            "the CSR's key is " + describe_key(key) + "; allowed: " + allowed_names(allowed));
    }
    if (*type == Type::rsa && EVP_PKEY_get_bits(key) < static_cast<int>(match->rsa_min_bits)) {
        return violation(profile_id, dimension::kKeySize,
                         "the CSR's RSA key has " + std::to_string(EVP_PKEY_get_bits(key)) +
                             " bits; the minimum is " + std::to_string(match->rsa_min_bits));
    }
    if (*type == Type::rsa) {
        return check_rsa_exponent(profile_id, key, small_rsa_exponent_allowed);
    }
    return Ok{};
}

Result<pki::EvpPkeyPtr> generate_key(const config::KeyAlgorithm& algorithm) {
    switch (algorithm.type) {
        case Type::ec_p256:
            return pki::generate_ec_key("P-256");
        case Type::ec_p384:
            return pki::generate_ec_key("P-384");
        case Type::ed25519:
            return pki::generate_ed25519_key();
        case Type::rsa:
            return pki::generate_rsa_key(algorithm.rsa_min_bits);
    }
    return Error::internal("unknown key algorithm");
}

}  // namespace estd::policy
