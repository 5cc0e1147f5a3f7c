#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estd/pki/handles.hpp"
#include "estd/store/time_point.hpp"

namespace estd::store {

// A serial as the store keys it: lower-case hex, byte-aligned, without
// separators or extra leading zeros ("0A:1B" and "a1b" both give "0a1b").
std::string normalize_serial(std::string_view text);

struct Revocation {
    int reason = 0;  // RFC 5280 CRLReason code
    TimePoint revoked_at;
    std::string actor;  // API key name of who revoked it
};

// One issued certificate, recorded before the client receives it.
struct CertificateRecord {
    std::int64_t id = 0;  // assigned by the store; the pagination cursor
    std::string issuer_id;
    std::string serial;       // lower-case hex, as pki::serial_hex
    std::string fingerprint;  // SHA-256 of the DER, lower-case hex
    std::string source = "EST";
    std::string est_profile;  // EST PathID ("" for the legacy root)
    std::string profile_id;   // certificate profile id, may be empty
    std::string subject;      // RFC 2253
    std::string common_name;
    std::vector<std::string> subject_alt_names;  // "DNS:x", "IP:1.2.3.4", ...
    TimePoint not_before;
    TimePoint not_after;
    std::string public_key_sha256;  // SHA-256 of the SubjectPublicKeyInfo DER, hex
    std::string auth_mode;          // anonymous | basic | mtls
    std::string source_ip;
    std::string request_id;
    TimePoint issued_at;
    pki::Bytes der;  // empty in listings unless asked for
    std::optional<Revocation> revocation;
};

}  // namespace estd::store
