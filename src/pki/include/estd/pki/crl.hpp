#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// RFC 5280 §5.3.1 CRLReason, by its ASN.1 name ("keyCompromise"); nullopt
// for unknown names and for removeFromCRL, which only a delta CRL may carry.
std::optional<int> parse_crl_reason(std::string_view name);
inline constexpr int kCrlReasonCessationOfOperation = 5;
std::string_view crl_reason_name(int code);

struct CrlEntryInput {
    std::string serial_hex;
    std::chrono::system_clock::time_point revoked_at;
    int reason = 0;  // 0 (unspecified) is written as no reasonCode, as RFC 5280 recommends
};

struct CrlContent {
    std::uint64_t number = 0;  // cRLNumber, must only grow
    std::chrono::system_clock::time_point this_update;
    std::chrono::system_clock::time_point next_update;
    std::vector<CrlEntryInput> revoked;
};

// A v2 CRL with cRLNumber and authorityKeyIdentifier, signed by `ca` with
// `key`, DER-encoded. The key may be provider-backed (an HSM).
Result<Bytes> build_crl(const CrlContent& content, X509* ca, EVP_PKEY* key);

}  // namespace estd::pki
