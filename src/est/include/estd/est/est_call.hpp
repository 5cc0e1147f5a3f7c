#pragma once

// One EST call as the core sees it, and its answer: no HTTP in either. The
// router (src/http/) reads a call out of a request and writes the answer,
// or the Error, as a response.

#include <string>
#include <string_view>

#include "estd/auth/client_certificate.hpp"
#include "estd/core/error.hpp"
#include "estd/est/operation.hpp"
#include "estd/pki/peer_identity.hpp"

namespace estd::est {

// Who is asking, as far as the EST layer needs to know.
struct RequestContext {
    std::string request_id;
    std::string client_ip;
    // The client's certificate (auth::client_certificate): every gate reads
    // it from here, never from the connection. An error refuses the request
    // on every EST operation (an X-SSL-Client-Cert not to be believed).
    Result<auth::ClientCertificate> client_certificate = auth::ClientCertificate{};
    // The request came through a trusted proxy (auth::via_trusted_proxy):
    // its TLS connection is not the client's.
    bool via_proxy = false;
};

// One EST operation asked of one profile. The views and the peer are
// borrowed from the request and the connection it came on, which outlive
// the call.
struct EstCall {
    EstRoute route;
    std::string_view body;           // the request body as sent (a CSR on enrollments)
    std::string_view authorization;  // the Authorization value (Basic); empty when none
    // The client's software as it names itself (the User-Agent): the line
    // layout of base64 answers depends on it (answer_layout).
    std::string_view user_agent;
    const pki::PeerIdentity& peer;  // the connection: channel binding
    RequestContext context;
};

// What a successful call answers with.
enum class EstContent {
    certs_only,    // base64 certs-only PKCS#7 (kCertsOnlyContentType)
    csrattrs,      // base64 DER CsrAttrs (kCsrAttrsContentType)
    serverkeygen,  // multipart/mixed: the key, then the certificate (multipart_content_type())
    none,          // nothing to say (csrattrs of a profile that lists none)
};

struct EstAnswer {
    EstContent content = EstContent::none;
    std::string body;  // empty for none
};

}  // namespace estd::est
