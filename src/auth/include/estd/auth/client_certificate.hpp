#pragma once

// The client's certificate for one request, from whichever source it came:
// the TLS handshake with estd, or the X-SSL-Client-Cert header of a trusted
// reverse proxy that terminated the client's TLS (SPEC.md, "TLS 1.2
// reverse-proxy runbook"). Every gate reads the certificate from here, so a
// forwarded certificate and a TLS one cannot be checked differently.

#include <cstddef>
#include <string_view>
#include <vector>

#include "estd/auth/client_address.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"
#include "estd/pki/peer_identity.hpp"

namespace estd::auth {

// The header nginx fills from $ssl_client_escaped_cert: the client's leaf
// certificate as PEM, percent-encoded (RFC 3986).
inline constexpr std::string_view kClientCertHeader = "X-SSL-Client-Cert";
// A percent-encoded certificate is about three times its PEM; 16 KiB holds
// any end-entity certificate a device presents, and bounds what a hostile
// header costs to decode and parse.
inline constexpr std::size_t kMaxClientCertHeaderBytes = 16 * 1024;

enum class CertificateSource { none, tls, forwarded };

class ClientCertificate {
  public:
    ClientCertificate() = default;  // none presented
    // The certificate `peer` presented in its TLS handshake (none when it
    // presented none). The chain is `peer`'s, which lives as long as the
    // connection and so outlasts every request on it.
    static ClientCertificate from_tls(const pki::PeerIdentity& peer);
    static ClientCertificate forwarded(pki::X509Ptr leaf);

    X509* leaf() const { return leaf_.get(); }
    // The intermediates the client sent, or null: a forwarded certificate
    // comes alone (nginx passes the leaf only).
    STACK_OF(X509) * untrusted() const { return untrusted_; }
    CertificateSource source() const { return source_; }
    bool present() const { return leaf_ != nullptr; }

  private:
    pki::X509Ptr leaf_;
    STACK_OF(X509) * untrusted_ = nullptr;
    CertificateSource source_ = CertificateSource::none;
};

// The value of X-SSL-Client-Cert as one certificate: strictly percent-decoded
// ('+' is a plus, not a space), at most kMaxClientCertHeaderBytes before
// decoding, and exactly one PEM CERTIFICATE block with nothing but
// whitespace around it. 400 naming what is wrong otherwise.
Result<pki::X509Ptr> parse_client_cert_header(std::string_view value);

// What one request says about its client certificate.
struct PresentedCertificate {
    const pki::PeerIdentity& peer;  // the connection's; no TLS: a socketless request
    // Every X-SSL-Client-Cert field of the request.
    std::vector<std::string_view> forwarded;
};

// The client's certificate for the request, or why the request is refused:
//   - no X-SSL-Client-Cert: the TLS peer certificate, if any;
//   - the header from a peer that is not in `proxies`, or not over TLS:
//     401 (est_auth_failed_mtls). It never authenticates anyone;
//   - from a trusted proxy: the forwarded certificate. An empty value means
//     the proxy's client presented none. Refused with 400 when the value is
//     malformed, the field repeats, or the proxy connection itself carries a
//     client certificate (two certificates: which one is the client?).
// All refusals carry the audit code est_auth_failed_mtls.
Result<ClientCertificate> client_certificate(const PresentedCertificate& presented,
                                             const TrustedProxies& proxies);

// True when a request from `peer_address` came through a trusted proxy: the
// peer is one, and the request carries a forwarding header (X-Forwarded-For
// or X-SSL-Client-Cert). Such a request's TLS connection is the proxy's, not
// the client's, so channel binding cannot hold on it.
bool via_trusted_proxy(std::string_view peer_address, bool has_forwarding_header,
                       const TrustedProxies& proxies);

}  // namespace estd::auth
