#pragma once

#include <string>

#include <openssl/ssl.h>

#include "estd/pki/peer_identity.hpp"

namespace estd::net {

// The peer of `ssl`, whose handshake has completed, arriving from
// `address`: its certificate and chain (up-ref'd), the TLS version and the
// channel-binding value of that version (see pki::PeerIdentity). The one
// place the EST path reads the live connection.
pki::PeerIdentity read_peer_identity(SSL* ssl, std::string address);

}  // namespace estd::net
