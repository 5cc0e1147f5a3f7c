#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::client {

// The guide's own channel-binding attribute: an OCTET STRING holding the
// RFC 9266 tls-exporter bytes.
inline constexpr const char* kChannelBindingAttributeOid = "1.2.840.113549.1.9.16.2.56";

// What a PKCS#10 request built by the client asks for.
struct CsrRequest {
    std::string common_name;
    std::string serial_number;  // subject serialNumber (2.5.4.5), e.g. a device serial
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;  // IPv4 or IPv6 text
    std::vector<std::string> emails;
    // When set, used verbatim instead of common_name / serial_number and
    // the three SAN lists: a renewal must repeat the certificate's names.
    pki::X509NamePtr subject;
    pki::GeneralNamesPtr subject_alt_names;
    std::optional<std::string> challenge_password;
    std::optional<pki::Bytes> channel_binding_attribute;  // kChannelBindingAttributeOid
};

// Subject and SubjectAltName of `cert`, for a simplereenroll CSR (RFC 7030
// §4.2.2: they must be the certificate's).
CsrRequest renewal_request(X509* cert);

// A signed PKCS#10 request (DER) for `key`. Refuses an empty subject with
// no SAN, malformed IP addresses and empty names.
Result<pki::Bytes> build_csr(EVP_PKEY* key, const CsrRequest& request);

// A CSR file as DER: PEM ("CERTIFICATE REQUEST", also "NEW CERTIFICATE
// REQUEST"), base64 or DER. The signature is checked.
Result<pki::Bytes> csr_from_file_content(std::string_view content);

std::string csr_pem(const pki::Bytes& der);

}  // namespace estd::client
