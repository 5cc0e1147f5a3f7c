#pragma once

#include <string_view>

#include "estd/net/server.hpp"
#include "estd/revocation/crl_publisher.hpp"
#include "estd/revocation/ocsp_responder.hpp"

namespace estd::http {

// What relying parties fetch, without authentication:
//   GET  /.well-known/pki/crls/<issuer-id>.crl   DER CRL, application/pkix-crl
//   POST /.well-known/pki/ocsp                   application/ocsp-request body
//   GET  /.well-known/pki/ocsp/<base64 request>  RFC 6960 appendix A.1
class PkiRoutes {
  public:
    PkiRoutes(revocation::CrlPublisher& crls, revocation::OcspResponder& ocsp)
        : crls_(crls), ocsp_(ocsp) {}

    static bool handles(std::string_view path) { return path.starts_with("/.well-known/pki/"); }
    net::Response handle(const net::Request& req);

  private:
    net::Response crl(const net::Request& req, std::string_view file);
    net::Response ocsp(const net::Request& req, std::string_view encoded);

    revocation::CrlPublisher& crls_;
    revocation::OcspResponder& ocsp_;
};

}  // namespace estd::http
