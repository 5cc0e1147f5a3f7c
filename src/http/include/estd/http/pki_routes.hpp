#pragma once

#include <map>
#include <string>
#include <string_view>

#include "estd/net/server.hpp"
#include "estd/revocation/crl_publisher.hpp"
#include "estd/revocation/ocsp_responder.hpp"

namespace estd::http {

// What relying parties fetch, without authentication:
//   GET  /.well-known/pki/crls/<issuer-id>.crl   DER CRL, application/pkix-crl
//   POST /.well-known/pki/ocsp                   application/ocsp-request body
//   GET  /.well-known/pki/ocsp/<base64 request>  RFC 6960 appendix A.1
//   GET  /.well-known/pki/certs/<issuer-id>.crt  the issuing CA certificate,
//        DER, application/pkix-cert (AIA caIssuers, RFC 5280 §4.2.2.1)
class PkiRoutes {
  public:
    // issuer id -> DER of its issuing CA certificate
    using CaCertificates = std::map<std::string, std::string, std::less<>>;

    PkiRoutes(revocation::CrlPublisher& crls, revocation::OcspResponder& ocsp,
              CaCertificates ca_certificates)
        : crls_(crls), ocsp_(ocsp), ca_certificates_(std::move(ca_certificates)) {}

    static bool handles(std::string_view path) { return path.starts_with("/.well-known/pki/"); }
    net::Response handle(const net::Request& req);

  private:
    net::Response crl(const net::Request& req, std::string_view file);
    net::Response ocsp(const net::Request& req, std::string_view encoded);
    net::Response ca_certificate(const net::Request& req, std::string_view file);

    revocation::CrlPublisher& crls_;
    revocation::OcspResponder& ocsp_;
    CaCertificates ca_certificates_;
};

}  // namespace estd::http
