#include "estd/policy/publication_urls.hpp"

namespace estd::policy {

PublicationUrls publication_urls(std::string_view public_base_url, std::string_view issuer_id) {
    PublicationUrls urls;
    if (public_base_url.empty()) {
        return urls;
    }
    std::string base(public_base_url);
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    const std::string pki = base + "/.well-known/pki/";
    const std::string id(issuer_id);
    urls.crl_distribution_points.push_back(pki + "crls/" + id + ".crl");
    urls.ocsp.push_back(pki + "ocsp");
    urls.ca_issuers.push_back(pki + "certs/" + id + ".crt");
    return urls;
}

void apply_publication_urls(const PublicationUrls& urls, pki::CertificateTemplate& tmpl) {
    tmpl.crl_distribution_points = urls.crl_distribution_points;
    tmpl.ocsp_urls = urls.ocsp;
    tmpl.ca_issuers_urls = urls.ca_issuers;
}

}  // namespace estd::policy
