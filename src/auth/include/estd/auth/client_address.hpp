#pragma once

// Who the client is, as far as source-IP limits and audit rows are
// concerned: the TCP peer, or — only when that peer is a reverse proxy the
// operator listed in CERTCTL_TRUSTED_PROXIES — the address the proxies
// recorded in X-Forwarded-For.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estd/core/error.hpp"

namespace estd::auth {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what
// a dual-stack socket reports for IPv4 peers) are read as IPv4, so one host
// has one form.
class IpAddress {
  public:
    // Plain address text; for X-Forwarded-For entries also "a.b.c.d:port"
    // and "[v6]" / "[v6]:port". nullopt for anything else.
    static std::optional<IpAddress> parse(std::string_view text);

    bool is_v4() const { return v4_; }
    // Canonical text (inet_ntop): "192.0.2.1", "2001:db8::1".
    std::string to_string() const;
    // True when the first `prefix_bits` bits equal `network`'s (same family).
    bool in_prefix(const IpAddress& network, unsigned prefix_bits) const;

  private:
    IpAddress(bool v4, const std::array<std::uint8_t, 16>& bytes) : v4_(v4), bytes_(bytes) {}
    bool v4_ = true;
    std::array<std::uint8_t, 16> bytes_{};  // IPv4 in the first four bytes
};

// CERTCTL_TRUSTED_PROXIES: the CIDRs whose forwarding headers are believed.
class TrustedProxies {
  public:
    TrustedProxies() = default;  // believes nobody
    // CIDRs as config::env::normalize_cidr writes them ("10.0.0.0/8",
    // "::1/128"); an error names the first one that is not a CIDR.
    static Result<TrustedProxies> parse(const std::vector<std::string>& cidrs);

    bool empty() const { return networks_.empty(); }
    bool contains(const IpAddress& address) const;

  private:
    struct Network {
        IpAddress address;
        unsigned prefix_bits;
    };
    std::vector<Network> networks_;
};

// At most this many X-Forwarded-For entries are read, from the right: a
// chain of trusted proxies longer than this is a misconfiguration, and a
// client-supplied header must not cost more than a bounded walk.
inline constexpr std::size_t kMaxForwardedHops = 16;

// The client address for a request that arrived from `peer` carrying
// `forwarded_for` (every X-Forwarded-For value joined with ','; empty when
// none). Walks the header from the right, believing each entry only while
// the hop that wrote it is a trusted proxy; the first address written by an
// untrusted hop is the client. A malformed entry ends the walk at the last
// trusted hop, so a client cannot smuggle an arbitrary string into the
// audit trail or a limiter key. The result is canonical text.
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const TrustedProxies& proxies);

// The key the failed-Basic limiter counts under: the address itself for
// IPv4, the /64 for IPv6 (one subscriber usually holds a whole /64, so
// per-address keys would give an attacker 2^64 fresh identities).
std::string source_limit_key(std::string_view client_address);

}  // namespace estd::auth
