#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "estd/client/connection_options.hpp"
#include "estd/client/url.hpp"
#include "estd/core/error.hpp"
#include "estd/https/connection.hpp"
#include "estd/pki/handles.hpp"

namespace estd::client {

struct BasicCredentials {
    std::string user;
    std::string password;
};

struct EstClientOptions {
    ServerUrl server;
    std::string profile;  // empty: the server's label-less default CA
    EstRouteKind route = EstRouteKind::est;
    https::ConnectionOptions connection = connection_options();
    std::optional<BasicCredentials> basic;
};

// One entry of a csrattrs answer: an OID the server wants in the CSR, or an
// attribute with values (for extensionRequest, the requested extensions).
struct CsrAttribute {
    std::string oid;   // dotted
    std::string name;  // OpenSSL's long name, or the dotted OID when unknown
    bool is_attribute = false;
    std::vector<std::string> values;  // names of the OIDs found in the values
};

struct CsrAttrs {
    pki::Bytes der;  // empty on 204 (the server asks for nothing)
    std::vector<CsrAttribute> items;
};

// Decodes a CsrAttrs DER structure (RFC 7030 §4.5.2, as RFC 8951 §4 fixed it).
Result<std::vector<CsrAttribute>> parse_csr_attrs(std::span<const std::uint8_t> der);

struct EnrollResult {
    bool pending = false;     // 202: ask again later
    std::string retry_after;  // the server's Retry-After, when pending
    // Issued certificate first (the one holding the CSR's key), then
    // whatever else the server returned.
    std::vector<pki::X509Ptr> certificates;
};

enum class KeyProtection { plain_pkcs8, enveloped };

struct ServerKeygenResult {
    KeyProtection protection = KeyProtection::plain_pkcs8;
    pki::Bytes key_der;                      // PKCS#8 PrivateKeyInfo, or CMS EnvelopedData
    std::vector<pki::X509Ptr> certificates;  // issued certificate first
};

// The serverkeygen multipart/mixed answer (RFC 7030 §4.4.2), in either part
// order, with an `application/pkcs8` or an `application/pkcs7-mime;
// smime-type=server-generated-key` key part.
Result<ServerKeygenResult> parse_serverkeygen_response(std::string_view content_type,
                                                       std::string_view body);

// The private key inside a CMS EnvelopedData addressed to `recipient_key`
// (the CSR's key). `certificate`, when given, is tried as the recipient
// identifier first. The content may be PKCS#8 DER or PEM, bare or inside a
// SignedData (RFC 7030 §4.4.2).
Result<pki::EvpPkeyPtr> decrypt_enveloped_key(std::span<const std::uint8_t> enveloped,
                                              EVP_PKEY* recipient_key, X509* certificate = nullptr);
Result<pki::EvpPkeyPtr> parse_private_key_der(std::span<const std::uint8_t> der);

enum class ChannelBindingType { tls_exporter, tls_unique };

// The binding of one TLS connection: RFC 9266 tls-exporter on TLS 1.3,
// RFC 5929 tls-unique on TLS 1.2 (refused without Extended Master Secret).
struct ChannelBinding {
    ChannelBindingType type = ChannelBindingType::tls_exporter;
    pki::Bytes value;
    std::string tls_version;
};

enum class EnrollOperation { simpleenroll, simplereenroll };

// The EST operations against one server and profile. Requests reuse one
// kept-alive connection; a dropped idle connection is reopened once.
class EstClient {
  public:
    explicit EstClient(EstClientOptions options);

    Result<std::vector<pki::X509Ptr>> cacerts();
    Result<CsrAttrs> csrattrs();
    Result<EnrollResult> enroll(EnrollOperation op, const pki::Bytes& csr_der);
    Result<ServerKeygenResult> serverkeygen(const pki::Bytes& csr_der);

    // Same, with a CSR made by `make_csr` from the binding of the
    // connection the CSR is then sent on.
    using CsrFactory = std::function<Result<pki::Bytes>(const ChannelBinding&)>;
    Result<EnrollResult> enroll_bound(EnrollOperation op, const CsrFactory& make_csr);
    Result<ServerKeygenResult> serverkeygen_bound(const CsrFactory& make_csr);

    // The current connection (opened when needed), e.g. to report its TLS version.
    Result<https::Connection*> connection();

    const EstClientOptions& options() const { return options_; }

  private:
    Result<https::HttpResponse> exchange(https::Method method, std::string_view operation,
                                         std::string_view content_type, const std::string& body);
    Result<https::HttpResponse> exchange_bound(std::string_view operation,
                                               const CsrFactory& make_csr, pki::Bytes* sent_csr);
    Result<https::HttpResponse> send_once(https::Method method, const std::string& target,
                                          std::string_view content_type, const std::string& body);
    std::vector<https::HttpHeader> auth_headers() const;

    EstClientOptions options_;
    std::unique_ptr<https::Connection> connection_;
};

// What an HTTP answer that is not a success means, with the server's text.
Error http_error(const https::HttpResponse& response);

// Reading the server's answers, apart from the connection that fetched them
// (pure: estctl's parsing of untrusted responses, fuzzed on its own).
// `what` names the answer in errors; `csr_der` is the request that was sent,
// so the certificate holding its key comes first.
Result<std::vector<pki::X509Ptr>> cacerts_from_response(const https::HttpResponse& response,
                                                        std::string_view what);
Result<CsrAttrs> csrattrs_from_response(const https::HttpResponse& response);
Result<EnrollResult> enroll_from_response(const https::HttpResponse& response,
                                          std::string_view operation, const pki::Bytes& csr_der);
Result<ServerKeygenResult> serverkeygen_from_response(const https::HttpResponse& response);

}  // namespace estd::client
