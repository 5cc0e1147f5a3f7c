#include "estd/net/peer_identity.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <openssl/err.h>

namespace estd::net {
namespace {

pki::Bytes tls_exporter(SSL* ssl) {
    pki::Bytes value(pki::kExporterLength);
    if (SSL_export_keying_material(ssl, value.data(), value.size(), pki::kExporterLabel.data(),
                                   pki::kExporterLabel.size(), nullptr, 0, 0) != 1) {
        ERR_clear_error();
        return {};
    }
    return value;
}

// tls-unique is the first Finished of the latest handshake: the client's on
// a full handshake, ours on an abbreviated (resumed) one.
pki::Bytes tls_unique(SSL* ssl, bool resumed) {
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> finished{};
    const std::size_t length = resumed
                                   ? SSL_get_finished(ssl, finished.data(), finished.size())
                                   : SSL_get_peer_finished(ssl, finished.data(), finished.size());
    if (length == 0 || length > finished.size()) {
        return {};
    }
    return pki::Bytes(finished.begin(), finished.begin() + static_cast<std::ptrdiff_t>(length));
}

}  // namespace

pki::PeerIdentity read_peer_identity(SSL* ssl, std::string address) {
    pki::PeerIdentity peer;
    peer.address = std::move(address);
    if (ssl == nullptr) {
        return peer;
    }
    if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
        peer.leaf = pki::share(leaf);
        // On the server side OpenSSL's chain holds what the client sent
        // after its leaf.
        if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
            peer.chain.reset(X509_chain_up_ref(chain));
        }
    }
    peer.tls_version = SSL_version(ssl);
    peer.tls_version_name = SSL_get_version(ssl);
    peer.resumed = SSL_session_reused(ssl) == 1;
    if (peer.tls_version == TLS1_3_VERSION) {
        peer.channel_binding = tls_exporter(ssl);
    } else if (peer.tls_version == TLS1_2_VERSION) {
        // Without Extended Master Secret tls-unique can be made equal on two
        // connections (the triple handshake attack): not computed.
        peer.extended_master_secret = SSL_get_extms_support(ssl) == 1;
        if (peer.extended_master_secret) {
            peer.channel_binding = tls_unique(ssl, peer.resumed);
        }
    }
    return peer;
}

}  // namespace estd::net
