#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "estd/pki/certificate_builder.hpp"

namespace estd::policy {

// Where relying parties find revocation data and the issuing CA, derived from
// CERTCTL_PUBLIC_BASE_URL for one issuer:
//   CRL distribution point  <base>/.well-known/pki/crls/<issuer-id>.crl
//   AIA OCSP                <base>/.well-known/pki/ocsp
//   AIA caIssuers           <base>/.well-known/pki/certs/<issuer-id>.crt
//                           (the issuing CA certificate, DER, RFC 5280 §4.2.2.1)
// Empty when no base URL is configured.
struct PublicationUrls {
    std::vector<std::string> crl_distribution_points;
    std::vector<std::string> ocsp;
    std::vector<std::string> ca_issuers;
};

PublicationUrls publication_urls(std::string_view public_base_url, std::string_view issuer_id);

// Every certificate an issuer signs gets them, with or without a profile.
void apply_publication_urls(const PublicationUrls& urls, pki::CertificateTemplate& tmpl);

}  // namespace estd::policy
