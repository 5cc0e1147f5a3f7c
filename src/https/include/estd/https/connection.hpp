#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/https/url.hpp"
#include "estd/pki/handles.hpp"

namespace estd::https {

enum class TlsVersion { tls1_2, tls1_3 };

Result<TlsVersion> parse_tls_version(std::string_view text);  // "1.2" or "1.3"

// A client certificate (leaf first, then any intermediates) and its key.
struct ClientIdentity {
    std::vector<pki::X509Ptr> chain;
    pki::EvpPkeyPtr key;
};

// Reads PEM files; the certificate file may carry intermediates after the
// leaf. Refuses a key that is not the certificate's.
Result<ClientIdentity> load_client_identity(const std::string& cert_path,
                                            const std::string& key_path);

inline constexpr std::size_t kDefaultMaxResponseBody = 16 * 1024 * 1024;

struct ConnectionOptions {
    // TLS (https:// only).
    std::string ca_file;    // trust anchors (PEM); empty: the system's store
    bool insecure = false;  // no server verification at all
    TlsVersion min_version = TlsVersion::tls1_2;
    TlsVersion max_version = TlsVersion::tls1_3;
    std::string server_name;  // SNI and the name verified; empty: the URL's host
    std::shared_ptr<const ClientIdentity> identity;  // null: no client certificate
    // HTTP.
    std::chrono::milliseconds timeout{30000};  // per step: resolve, connect, handshake, request
    std::string user_agent;                    // empty: no User-Agent header
    std::size_t max_response_body = kDefaultMaxResponseBody;
    bool keep_alive = true;  // false: every request says Connection: close
};

enum class Method { get, post };

struct HttpHeader {
    std::string name;
    std::string value;
};

struct HttpResponse {
    unsigned status = 0;
    std::string reason;
    std::vector<HttpHeader> headers;
    std::string body;

    // First value of a header (case-insensitive name); empty when absent.
    std::string header(std::string_view name) const;
};

// An answer read from raw bytes as Connection::send reads one off the
// connection (the same parser and body limit), the bytes ending as the
// connection would at EOF; nullopt when they are not one HTTP response.
std::optional<HttpResponse> parse_http_response(std::string_view bytes,
                                                std::size_t body_limit = kDefaultMaxResponseBody);

// One connection to a server (TLS for an https URL, plain TCP for http),
// used for as many requests as the server keeps it open (HTTP/1.1
// keep-alive). Synchronous; every step is bounded by
// ConnectionOptions::timeout. Channel-binding values come from this very
// connection, so a CSR carrying them must be sent with send() on it.
class Connection {
  public:
    static Result<std::unique_ptr<Connection>> open(const Url& url,
                                                    const ConnectionOptions& options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    Result<HttpResponse> send(Method method, const std::string& target,
                              std::string_view content_type = {}, std::string body = {},
                              const std::vector<HttpHeader>& extra_headers = {});

    // False once the server closed the connection or a request failed on it.
    bool is_open() const;
    // How many requests this connection has answered.
    unsigned requests_sent() const;

    // The TLS values below are for an https connection only.
    TlsVersion version() const;
    std::string version_name() const;  // "TLSv1.3"
    // RFC 9266 tls-exporter: 32 bytes of keying material exported with the
    // label "EXPORTER-Channel-Binding" and no context.
    Result<pki::Bytes> tls_exporter() const;
    // RFC 5929 tls-unique: the first Finished message of the handshake.
    // Defined for TLS 1.2 only.
    Result<pki::Bytes> tls_unique() const;
    // RFC 7627 Extended Master Secret, without which tls-unique is unsafe.
    bool extended_master_secret() const;

    struct Impl;  // Beast and OpenSSL state, private to the implementation
    explicit Connection(std::unique_ptr<Impl> impl);

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace estd::https
