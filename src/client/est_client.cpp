#include "estd/client/est_client.hpp"

#include <algorithm>
#include <cctype>

#include "estd/client/encoding.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/csr.hpp"
#include "estd/pki/pkcs7.hpp"

namespace estd::client {

namespace {

constexpr std::size_t kMaxErrorText = 2000;
constexpr std::string_view kPkcs10 = "application/pkcs10";

std::string_view operation_name(EnrollOperation op) {
    return op == EnrollOperation::simpleenroll ? "simpleenroll" : "simplereenroll";
}

// The server's error text, made safe for a terminal.
std::string printable_text(std::string_view body) {
    std::string text;
    for (char c : body.substr(0, kMaxErrorText)) {
        const auto u = static_cast<unsigned char>(c);
        text += (std::isprint(u) || c == '\n' || c == '\t') ? c : '?';
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.pop_back();
    }
    if (body.size() > kMaxErrorText) {
        text += "...";
    }
    return text;
}

// Puts the certificate for `key` (or else the first end-entity one) first.
void issued_first(std::vector<pki::X509Ptr>& certs, EVP_PKEY* key) {
    const auto matches = [key](const pki::X509Ptr& cert) {
        return key != nullptr ? pki::same_public_key(X509_get0_pubkey(cert.get()), key)
                              : !pki::is_ca(cert.get());
    };
    const auto it = std::find_if(certs.begin(), certs.end(), matches);
    if (it != certs.end()) {
        std::rotate(certs.begin(), it, it + 1);
    }
}

Error unexpected_status(const https::HttpResponse& response, std::string_view operation) {
    if (response.status >= 300) {
        return http_error(response);
    }
    return Error::protocol(std::string(operation) + " answered HTTP " +
                           std::to_string(response.status) + ", which EST does not define");
}

Result<ChannelBinding> binding_of(const https::Connection& connection) {
    ChannelBinding binding;
    binding.tls_version = connection.version_name();
    if (connection.version() == https::TlsVersion::tls1_3) {
        auto exporter = connection.tls_exporter();
        if (!exporter) {
            return std::move(exporter).take_error();
        }
        binding.type = ChannelBindingType::tls_exporter;
        binding.value = std::move(exporter).value();
        return binding;
    }
    if (!connection.extended_master_secret()) {
        return Error::tls(
            "the server did not negotiate Extended Master Secret: tls-unique channel binding "
            "would be unsafe (RFC 7627), so it is not sent");
    }
    auto unique = connection.tls_unique();
    if (!unique) {
        return std::move(unique).take_error();
    }
    binding.type = ChannelBindingType::tls_unique;
    binding.value = std::move(unique).value();
    return binding;
}

}  // namespace

Result<std::vector<pki::X509Ptr>> cacerts_from_response(const https::HttpResponse& response,
                                                        std::string_view what) {
    auto der = decode_payload(response.body, what);
    if (!der) {
        return std::move(der).take_error();
    }
    auto certs = pki::parse_certs_only_der(*der);
    if (!certs) {
        return Error::protocol(std::string(what) + ": " + certs.error().message);
    }
    if (certs->empty()) {
        return Error::protocol(std::string(what) + " holds no certificate");
    }
    return std::move(certs).value();
}

Result<EnrollResult> enroll_from_response(const https::HttpResponse& response,
                                          std::string_view operation, const pki::Bytes& csr_der) {
    EnrollResult result;
    if (response.status == 202) {
        result.pending = true;
        result.retry_after = response.header("Retry-After");
        return result;
    }
    if (response.status != 200) {
        return unexpected_status(response, operation);
    }
    auto certs = cacerts_from_response(response, std::string(operation) + " answer");
    if (!certs) {
        return std::move(certs).take_error();
    }
    result.certificates = std::move(certs).value();
    auto csr = pki::Csr::from_der(csr_der);
    issued_first(result.certificates, csr ? csr->public_key() : nullptr);
    return result;
}

Result<ServerKeygenResult> serverkeygen_from_response(const https::HttpResponse& response) {
    if (response.status != 200) {
        return unexpected_status(response, "serverkeygen");
    }
    auto result = parse_serverkeygen_response(response.header("Content-Type"), response.body);
    if (!result) {
        return result;
    }
    pki::EvpPkeyPtr key;
    if (result->protection == KeyProtection::plain_pkcs8) {
        if (auto parsed = parse_private_key_der(result->key_der)) {
            key = std::move(parsed).value();
        }
    }
    issued_first(result->certificates, key.get());
    return result;
}

Result<CsrAttrs> csrattrs_from_response(const https::HttpResponse& response) {
    CsrAttrs attrs;
    if (response.status == 204) {
        return attrs;
    }
    if (response.status != 200) {
        return unexpected_status(response, "csrattrs");
    }
    auto der = decode_payload(response.body, "csrattrs answer");
    if (!der) {
        return std::move(der).take_error();
    }
    auto items = parse_csr_attrs(*der);
    if (!items) {
        return std::move(items).take_error();
    }
    attrs.der = std::move(der).value();
    attrs.items = std::move(items).value();
    return attrs;
}

Error http_error(const https::HttpResponse& response) {
    std::string message = "HTTP " + std::to_string(response.status);
    if (!response.reason.empty()) {
        message += " " + response.reason;
    }
    const std::string text = printable_text(response.body);
    if (!text.empty()) {
        message += ": " + text;
    }
    return Error::http(response.status, std::move(message));
}

EstClient::EstClient(EstClientOptions options) : options_(std::move(options)) {
}

std::vector<https::HttpHeader> EstClient::auth_headers() const {
    if (!options_.basic) {
        return {};
    }
    const std::string credentials = options_.basic->user + ":" + options_.basic->password;
    return {
        {"Authorization", "Basic " + base64_one_line(std::span(
                                         reinterpret_cast<const std::uint8_t*>(credentials.data()),
                                         credentials.size()))}};
}

Result<https::Connection*> EstClient::connection() {
    if (!connection_ || !connection_->is_open()) {
        connection_.reset();
        auto opened = https::Connection::open(options_.server, options_.connection);
        if (!opened) {
            return std::move(opened).take_error();
        }
        connection_ = std::move(opened).value();
    }
    return connection_.get();
}

Result<https::HttpResponse> EstClient::send_once(https::Method method, const std::string& target,
                                                 std::string_view content_type,
                                                 const std::string& body) {
    std::vector<https::HttpHeader> headers = auth_headers();
    if (!body.empty()) {
        headers.push_back({"Content-Transfer-Encoding", "base64"});
    }
    return connection_->send(method, target, content_type, body, headers);
}

Result<https::HttpResponse> EstClient::exchange(https::Method method, std::string_view operation,
                                                std::string_view content_type,
                                                const std::string& body) {
    auto target = est_path(options_.server, options_.profile, operation, options_.route);
    if (!target) {
        return std::move(target).take_error();
    }
    for (int attempt = 0;; ++attempt) {
        const bool reused = connection_ && connection_->is_open();
        if (auto conn = connection(); !conn) {
            return std::move(conn).take_error();
        }
        auto response = send_once(method, *target, content_type, body);
        // A kept-alive connection the server dropped while idle is retried
        // once on a fresh one; a fresh connection failing is the answer.
        if (response || !reused || attempt > 0 || response.error().kind != ErrorKind::network) {
            return response;
        }
        connection_.reset();
    }
}

Result<https::HttpResponse> EstClient::exchange_bound(std::string_view operation,
                                                      const CsrFactory& make_csr,
                                                      pki::Bytes* sent_csr) {
    auto target = est_path(options_.server, options_.profile, operation, options_.route);
    if (!target) {
        return std::move(target).take_error();
    }
    for (int attempt = 0;; ++attempt) {
        const bool reused = connection_ && connection_->is_open();
        auto conn = connection();
        if (!conn) {
            return std::move(conn).take_error();
        }
        auto binding = binding_of(**conn);
        if (!binding) {
            return std::move(binding).take_error();
        }
        auto csr = make_csr(*binding);
        if (!csr) {
            return std::move(csr).take_error();
        }
        auto response =
            send_once(https::Method::post, *target, kPkcs10, pki::base64_encode_lines(*csr));
        if (response || !reused || attempt > 0 || response.error().kind != ErrorKind::network) {
            *sent_csr = std::move(csr).value();
            return response;
        }
        connection_.reset();  // the retry binds to the new connection, with a new CSR
    }
}

Result<std::vector<pki::X509Ptr>> EstClient::cacerts() {
    auto response = exchange(https::Method::get, "cacerts", {}, {});
    if (!response) {
        return std::move(response).take_error();
    }
    if (response->status != 200) {
        return unexpected_status(*response, "cacerts");
    }
    return cacerts_from_response(*response, "cacerts answer");
}

Result<CsrAttrs> EstClient::csrattrs() {
    auto response = exchange(https::Method::get, "csrattrs", {}, {});
    if (!response) {
        return std::move(response).take_error();
    }
    return csrattrs_from_response(*response);
}

Result<EnrollResult> EstClient::enroll(EnrollOperation op, const pki::Bytes& csr_der) {
    auto response = exchange(https::Method::post, operation_name(op), kPkcs10,
                             pki::base64_encode_lines(csr_der));
    if (!response) {
        return std::move(response).take_error();
    }
    return enroll_from_response(*response, operation_name(op), csr_der);
}

Result<EnrollResult> EstClient::enroll_bound(EnrollOperation op, const CsrFactory& make_csr) {
    pki::Bytes csr;
    auto response = exchange_bound(operation_name(op), make_csr, &csr);
    if (!response) {
        return std::move(response).take_error();
    }
    return enroll_from_response(*response, operation_name(op), csr);
}

Result<ServerKeygenResult> EstClient::serverkeygen(const pki::Bytes& csr_der) {
    auto response =
        exchange(https::Method::post, "serverkeygen", kPkcs10, pki::base64_encode_lines(csr_der));
    if (!response) {
        return std::move(response).take_error();
    }
    return serverkeygen_from_response(*response);
}

Result<ServerKeygenResult> EstClient::serverkeygen_bound(const CsrFactory& make_csr) {
    pki::Bytes csr;
    auto response = exchange_bound("serverkeygen", make_csr, &csr);
    if (!response) {
        return std::move(response).take_error();
    }
    return serverkeygen_from_response(*response);
}

}  // namespace estd::client
