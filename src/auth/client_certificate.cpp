#include "estd/auth/client_certificate.hpp"

#include <string>

#include "estd/audit/audit_codes.hpp"
#include "estd/core/percent_decode.hpp"
#include "estd/pki/certificate.hpp"

namespace estd::auth {
namespace {

constexpr std::string_view kBeginCertificate = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEndCertificate = "-----END CERTIFICATE-----";

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

Error refused(ErrorKind kind, std::string message) {
    return Error{kind, std::string(audit::codes::kAuthFailedMtls), std::move(message)};
}

Error bad_header(const std::string& why) {
    return refused(ErrorKind::bad_request, std::string(kClientCertHeader) + ": " + why);
}

}  // namespace

ClientCertificate ClientCertificate::from_tls(const pki::PeerIdentity& peer) {
    ClientCertificate out;
    if (peer.leaf) {
        out.leaf_ = pki::share(peer.leaf.get());
        out.untrusted_ = peer.chain.get();
        out.source_ = CertificateSource::tls;
    }
    return out;
}

ClientCertificate ClientCertificate::forwarded(pki::X509Ptr leaf) {
    ClientCertificate out;
    out.leaf_ = std::move(leaf);
    out.source_ = out.leaf_ ? CertificateSource::forwarded : CertificateSource::none;
    return out;
}

Result<pki::X509Ptr> parse_client_cert_header(std::string_view value) {
    if (value.size() > kMaxClientCertHeaderBytes) {
        return bad_header("longer than " + std::to_string(kMaxClientCertHeaderBytes) +
                          " bytes: not one client certificate");
    }
    // $ssl_client_escaped_cert escapes '+' as %2B; a bare '+' is a plus.
    const auto decoded = percent_decode(trim(value), /*plus_is_space=*/false);
    if (!decoded) {
        return bad_header("not percent-encoded (a '%' without two hex digits)");
    }
    // PEM_read_bio_X509 skips any text before a BEGIN line; nothing but the
    // one block may be there, so nothing else rides along unseen.
    const std::string_view pem = trim(*decoded);
    if (!pem.starts_with(kBeginCertificate) || !pem.ends_with(kEndCertificate) ||
        pem.find(kBeginCertificate, kBeginCertificate.size()) != std::string_view::npos) {
        return bad_header("not one PEM CERTIFICATE block");
    }
    auto certs = pki::parse_certificates_pem(pem);
    if (!certs) {
        return bad_header(certs.error().message);
    }
    if (certs->size() != 1) {
        return bad_header("not one PEM CERTIFICATE block");
    }
    return std::move(certs->front());
}

Result<ClientCertificate> client_certificate(const PresentedCertificate& presented,
                                             const TrustedProxies& proxies) {
    if (presented.forwarded.empty()) {
        return ClientCertificate::from_tls(presented.peer);
    }
    const auto peer = IpAddress::parse(presented.peer.address);
    if (!presented.peer.over_tls() || !peer || !proxies.contains(*peer)) {
        return refused(ErrorKind::unauthorized,
                       "a forwarded client certificate (" + std::string(kClientCertHeader) +
                           ") from " + presented.peer.address +
                           ", which is not a trusted proxy (CERTCTL_TRUSTED_PROXIES): it "
                           "authenticates nobody; present the certificate in the TLS "
                           "handshake");
    }
    if (presented.forwarded.size() > 1) {
        return bad_header("the field appears more than once");
    }
    if (presented.peer.leaf) {
        return bad_header(
            "sent by a proxy whose own TLS connection carries a client certificate: two "
            "certificates, and which one is the client's is not clear; configure the proxy "
            "without a client certificate towards estd");
    }
    if (trim(presented.forwarded.front()).empty()) {
        return ClientCertificate{};  // the proxy's client presented none
    }
    auto leaf = parse_client_cert_header(presented.forwarded.front());
    if (!leaf) {
        return std::move(leaf).take_error();
    }
    return ClientCertificate::forwarded(std::move(*leaf));
}

bool via_trusted_proxy(std::string_view peer_address, bool has_forwarding_header,
                       const TrustedProxies& proxies) {
    if (!has_forwarding_header) {
        return false;
    }
    const auto peer = IpAddress::parse(peer_address);
    return peer && proxies.contains(*peer);
}

}  // namespace estd::auth
