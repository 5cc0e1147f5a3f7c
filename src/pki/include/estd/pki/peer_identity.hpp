#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "estd/pki/handles.hpp"

namespace estd::pki {

// RFC 9266 tls-exporter: the keying material exported with this label and
// no context, this long.
inline constexpr std::string_view kExporterLabel = "EXPORTER-Channel-Binding";
inline constexpr std::size_t kExporterLength = 32;

// What one connection's TLS handshake established about its peer, read once
// when the handshake completes (net::read_peer_identity) and shared by every
// request on the connection. It owns what it holds, so nothing that reads it
// depends on the connection still being open. Renegotiation is off and no
// post-handshake authentication is asked for: none of it changes later.
//
// A default-constructed one is a peer without TLS (a request handled
// without a socket: unit tests, fuzzers).
struct PeerIdentity {
    std::string address;  // textual IP of the TCP peer
    X509Ptr leaf;         // the client certificate; null when none was presented
    // The intermediates the client sent after its leaf; null when none.
    X509StackPtr chain;
    int tls_version = 0;                  // TLS1_3_VERSION, TLS1_2_VERSION, ...; 0: no TLS
    std::string_view tls_version_name;    // "TLSv1.3", as OpenSSL names it (static text)
    bool extended_master_secret = false;  // RFC 7627, negotiated (TLS 1.2)
    bool resumed = false;                 // the handshake resumed an earlier session
    // The connection's channel-binding value, computed for what the version
    // can carry: on TLS 1.3 the RFC 9266 tls-exporter value, on TLS 1.2
    // with Extended Master Secret the RFC 5929 tls-unique value (the first
    // Finished of the handshake). Empty when the connection has none.
    Bytes channel_binding;

    bool over_tls() const { return tls_version != 0; }
};

}  // namespace estd::pki
