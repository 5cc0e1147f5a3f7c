#pragma once

// Certificate profiles the CSR and HTTP targets check requests against: one
// that limits every dimension, one that limits only the key.

#include "estd/config/config.hpp"

namespace estd::fuzz {

inline config::CertificateProfileConfig strict_certificate_profile() {
    config::CertificateProfileConfig profile;
    profile.id = "cp-strict";
    profile.defined_in = "fuzz";
    profile.allowed_key_algorithms =
        std::vector<config::KeyAlgorithm>{{config::KeyAlgorithm::Type::ec_p256, 0},
                                          {config::KeyAlgorithm::Type::rsa, 2048},
                                          {config::KeyAlgorithm::Type::ed25519, 0}};
    profile.allowed_san_types = std::vector<config::SanType>{
        config::SanType::dns, config::SanType::ip, config::SanType::email, config::SanType::uri};
    profile.san_dns_suffixes = {"example.com"};
    profile.san_email_domains = {"example.com"};
    profile.required_csr_attributes = {config::RequiredAttribute::device_serial_number,
                                       config::RequiredAttribute::common_name};
    profile.max_ttl = std::chrono::hours(24 * 30);
    profile.must_staple = true;
    return profile;
}

inline config::CertificateProfileConfig open_certificate_profile() {
    config::CertificateProfileConfig profile;
    profile.id = "cp-open";
    profile.defined_in = "fuzz";
    return profile;
}

}  // namespace estd::fuzz
