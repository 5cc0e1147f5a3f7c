#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::est {

// Decodes an EST request body into DER, tolerating what deployed clients
// send (RFC 8951 and the guide's appendix B): base64 with or without
// Content-Transfer-Encoding, wrapped with LF or CRLF or not at all, with
// leading/trailing whitespace; a PEM block whatever the Content-Type; raw
// DER. Errors are 400 with a text saying what the body was not.
Result<pki::Bytes> decode_request_body(std::string_view body);

// The 200 body of cacerts/simpleenroll/simplereenroll: base64 (76-column
// CRLF lines) of a certs-only SignedData.
Result<std::string> certs_only_body(const std::vector<X509*>& certs);

inline constexpr std::string_view kCertsOnlyContentType =
    "application/pkcs7-mime; smime-type=certs-only";
// csrattrs: base64 DER CsrAttrs (RFC 7030 §4.5.2).
inline constexpr std::string_view kCsrAttrsContentType = "application/csrattrs";

}  // namespace estd::est
