#include "estd/auth/client_address.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

namespace estd::auth {
namespace {

constexpr std::size_t kMaxAddressText = 64;  // longest bracketed IPv6 with port is 47
constexpr unsigned kIpv6LimitPrefix = 64;

std::string_view trim_blanks(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

bool valid_port(std::string_view port) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
    }
    return std::stoul(std::string(port)) <= 65535;
}

// Splits "[v6]", "[v6]:port" and "v4:port" into the bare address; plain
// addresses pass through. nullopt when the shape is none of these.
std::optional<std::string_view> strip_port(std::string_view text) {
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && !(rest.front() == ':' && valid_port(rest.substr(1)))) {
            return std::nullopt;
        }
        return text.substr(1, close - 1);
    }
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
        // Exactly one colon: IPv4 with a port (IPv6 has at least two).
        if (!valid_port(text.substr(colon + 1))) {
            return std::nullopt;
        }
        return text.substr(0, colon);
    }
    return text;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    text = trim_blanks(text);
    if (text.empty() || text.size() > kMaxAddressText) {
        return std::nullopt;
    }
    const auto bare = strip_port(text);
    if (!bare || bare->empty()) {
        return std::nullopt;
    }
    const std::string address(*bare);
    std::array<std::uint8_t, 16> bytes{};
    if (address.find(':') == std::string::npos) {
        if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1) {
            return std::nullopt;
        }
        return IpAddress(true, bytes);
    }
    if (inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1) {
        return std::nullopt;
    }
    constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0,    0,
                                                            0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin())) {
        std::array<std::uint8_t, 16> v4{};
        std::copy(bytes.begin() + 12, bytes.end(), v4.begin());
        return IpAddress(true, v4);
    }
    return IpAddress(false, bytes);
}

std::string IpAddress::to_string() const {
    std::array<char, INET6_ADDRSTRLEN> buffer{};
    if (inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buffer.data(),
                  static_cast<socklen_t>(buffer.size())) == nullptr) {
        return {};
    }
    return buffer.data();
}

bool IpAddress::in_prefix(const IpAddress& network, unsigned prefix_bits) const {
    if (v4_ != network.v4_) {
        return false;
    }
    const unsigned max_bits = v4_ ? 32 : 128;
    prefix_bits = std::min(prefix_bits, max_bits);
    const unsigned whole_bytes = prefix_bits / 8;
    if (!std::equal(bytes_.begin(), bytes_.begin() + whole_bytes, network.bytes_.begin())) {
        return false;
    }
    const unsigned rest = prefix_bits % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (bytes_[whole_bytes] & mask) == (network.bytes_[whole_bytes] & mask);
}

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& cidrs) {
    TrustedProxies proxies;
    for (const auto& cidr : cidrs) {
        const auto slash = cidr.find('/');
        const auto address = IpAddress::parse(std::string_view(cidr).substr(0, slash));
        const std::string prefix_text =
            slash == std::string::npos ? std::string() : cidr.substr(slash + 1);
        const bool prefix_ok = !prefix_text.empty() && prefix_text.size() <= 3 &&
                               std::all_of(prefix_text.begin(), prefix_text.end(),
                                           [](char c) { return c >= '0' && c <= '9'; });
        if (!address || !prefix_ok || std::stoul(prefix_text) > (address->is_v4() ? 32u : 128u)) {
            return Error::internal("CERTCTL_TRUSTED_PROXIES: \"" + cidr + "\" is not a CIDR");
        }
        proxies.networks_.push_back({*address, static_cast<unsigned>(std::stoul(prefix_text))});
    }
    return proxies;
}

bool TrustedProxies::contains(const IpAddress& address) const {
    return std::any_of(networks_.begin(), networks_.end(), [&](const Network& network) {
        return address.in_prefix(network.address, network.prefix_bits);
    });
}

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const TrustedProxies& proxies) {
    auto current = IpAddress::parse(peer);
    if (!current) {
        return std::string(peer);  // not an IP (a unit test's socketless request)
    }
    std::size_t hops = 0;
    while (!forwarded_for.empty() && proxies.contains(*current) && hops < kMaxForwardedHops) {
        const auto comma = forwarded_for.rfind(',');
        const auto entry =
            comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
        forwarded_for =
            comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
        ++hops;
        if (trim_blanks(entry).empty()) {
            continue;  // "a,,b": an empty list element (RFC 9110 §5.6.1)
        }
        const auto next = IpAddress::parse(entry);
        if (!next) {
            break;
        }
        current = next;
    }
    return current->to_string();
}

std::string source_limit_key(std::string_view client_address) {
    const auto address = IpAddress::parse(client_address);
    if (!address) {
        return std::string(client_address);
    }
    if (address->is_v4()) {
        return address->to_string();
    }
    // Zero everything past the /64 by parsing the masked text back.
    const std::string text = address->to_string();
    in6_addr bytes{};
    inet_pton(AF_INET6, text.c_str(), &bytes);
    std::memset(reinterpret_cast<std::uint8_t*>(&bytes) + kIpv6LimitPrefix / 8, 0,
                16 - kIpv6LimitPrefix / 8);
    std::array<char, INET6_ADDRSTRLEN> buffer{};
    inet_ntop(AF_INET6, &bytes, buffer.data(), static_cast<socklen_t>(buffer.size()));
    return std::string(buffer.data()) + "/64";
}

}  // namespace estd::auth
