#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/handles.hpp"

namespace estd::est {

// Decodes an EST request body into DER, tolerating what deployed clients
// send (RFC 8951 and the guide's appendix B): base64 with or without
// Content-Transfer-Encoding, wrapped with LF or CRLF or not at all, with
// leading/trailing whitespace; a PEM block whatever the Content-Type; raw
// DER. Errors are 400 with a text saying what the body was not.
Result<pki::Bytes> decode_request_body(std::string_view body);

// The 200 body of cacerts/simpleenroll/simplereenroll: base64 of a
// certs-only SignedData, in `layout`.
Result<std::string> certs_only_body(const std::vector<X509*>& certs,
                                    pki::Base64Layout layout = pki::Base64Layout::wrapped);

// How base64 answers to one request are laid out (SPEC "Output base64",
// docs/protocol.md). Deployed clients disagree: libest (User-Agent
// "libest <version>") and `openssl base64 -d` fail on one long line,
// strongSwan's pki (no User-Agent) fails on any line break. `automatic`
// answers one line to a request without a User-Agent or from strongSwan,
// and 76-column lines to every other client.
pki::Base64Layout answer_layout(config::Base64LayoutSetting setting, std::string_view user_agent);

// An answer computed once at boot, in both layouts.
struct Base64Answer {
    std::string wrapped;
    std::string single_line;

    static Base64Answer of(std::span<const std::uint8_t> der);
    bool empty() const { return wrapped.empty(); }
    const std::string& in(pki::Base64Layout layout) const {
        return layout == pki::Base64Layout::single_line ? single_line : wrapped;
    }
};

inline constexpr std::string_view kCertsOnlyContentType =
    "application/pkcs7-mime; smime-type=certs-only";
// csrattrs: base64 DER CsrAttrs (RFC 7030 §4.5.2).
inline constexpr std::string_view kCsrAttrsContentType = "application/csrattrs";

}  // namespace estd::est
