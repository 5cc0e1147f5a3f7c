#include "estd/https/connection.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <exception>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>

#include "estd/https/parse_message.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/openssl_error.hpp"

namespace estd::https {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kExporterLabel = "EXPORTER-Channel-Binding";

int openssl_version(TlsVersion v) {
    return v == TlsVersion::tls1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

HttpResponse to_http_response(http::response<http::string_body>&& res) {
    HttpResponse out;
    out.status = res.result_int();
    out.reason = std::string(res.reason());
    for (const auto& field : res) {
        out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    out.body = std::move(res.body());
    return out;
}

Error stream_error(const std::string& what, const beast::error_code& ec) {
    std::string message = what + ": " + ec.message();
    if (ec == beast::error::timeout) {
        return Error::network(what + ": timed out");
    }
    if (ec.category() == asio::error::get_ssl_category() || ec == ssl::error::stream_truncated) {
        return Error::tls(std::move(message));
    }
    return Error::network(std::move(message));
}

Status configure_trust(ssl::context& ctx, const ConnectionOptions& options) {
    SSL_CTX* native = ctx.native_handle();
    if (options.insecure) {
        SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
        return Ok{};
    }
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    if (options.ca_file.empty()) {
        SSL_CTX_set_default_verify_paths(native);
        return Ok{};
    }
    auto anchors = pki::load_certificates_file(options.ca_file);
    if (!anchors) {
        return Error::input(anchors.error().message);
    }
    X509_STORE* store = SSL_CTX_get_cert_store(native);
    for (const auto& cert : *anchors) {
        X509_STORE_add_cert(store, cert.get());
    }
    // An explicit trust anchor may be an intermediate (RFC 7030 §3.6.1
    // explicit TA database): a chain ending at it is enough.
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    ERR_clear_error();
    return Ok{};
}

Status configure_identity(ssl::context& ctx, const ClientIdentity& identity) {
    SSL_CTX* native = ctx.native_handle();
    if (identity.chain.empty() || !identity.key) {
        return Error::input("client identity needs a certificate and a key");
    }
    bool ok = SSL_CTX_use_certificate(native, identity.chain.front().get()) == 1;
    for (std::size_t i = 1; ok && i < identity.chain.size(); ++i) {
        ok = SSL_CTX_add1_chain_cert(native, identity.chain[i].get()) == 1;
    }
    ok = ok && SSL_CTX_use_PrivateKey(native, identity.key.get()) == 1 &&
         SSL_CTX_check_private_key(native) == 1;
    if (!ok) {
        return Error::input("cannot use the client certificate: " + pki::drain_openssl_errors());
    }
    return Ok{};
}

Result<std::unique_ptr<ssl::context>> make_context(const Url& url,
                                                   const ConnectionOptions& options) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    if (!url.tls) {
        return ctx;  // the stream needs one; a plain connection never uses it
    }
    SSL_CTX* native = ctx->native_handle();
    if (static_cast<int>(options.min_version) > static_cast<int>(options.max_version)) {
        return Error::input("minimum TLS version is above the maximum");
    }
    SSL_CTX_set_min_proto_version(native, openssl_version(options.min_version));
    SSL_CTX_set_max_proto_version(native, openssl_version(options.max_version));
    // No session resumption: tls-unique must be this handshake's own
    // client Finished, and one connection per process needs no cache.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
    if (auto trust = configure_trust(*ctx, options); !trust) {
        return std::move(trust).take_error();
    }
    if (options.identity) {
        if (auto id = configure_identity(*ctx, *options.identity); !id) {
            return std::move(id).take_error();
        }
    }
    return ctx;
}

}  // namespace

Result<TlsVersion> parse_tls_version(std::string_view text) {
    if (text == "1.2") {
        return TlsVersion::tls1_2;
    }
    if (text == "1.3") {
        return TlsVersion::tls1_3;
    }
    return Error::input("TLS version must be 1.2 or 1.3, not \"" + std::string(text) + "\"");
}

Result<ClientIdentity> load_client_identity(const std::string& cert_path,
                                            const std::string& key_path) {
    auto chain = pki::load_certificates_file(cert_path);
    if (!chain) {
        return Error::input(chain.error().message);
    }
    if (chain->empty()) {
        return Error::input(cert_path + " holds no certificate");
    }
    auto key = pki::load_private_key_file(key_path);
    if (!key) {
        return Error::input(key.error().message);
    }
    if (!pki::same_public_key(X509_get0_pubkey(chain->front().get()), key->get())) {
        return Error::input(key_path + " is not the key of the certificate in " + cert_path);
    }
    return ClientIdentity{std::move(chain).value(), std::move(key).value()};
}

std::string HttpResponse::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) {
            return h.value;
        }
    }
    return {};
}

struct Connection::Impl {
    asio::io_context ioc;
    std::unique_ptr<ssl::context> ctx;
    std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
    beast::flat_buffer buffer;
    Url url;
    std::chrono::milliseconds timeout{};
    std::string user_agent;
    std::size_t max_response_body = kDefaultMaxResponseBody;
    bool keep_alive = true;
    bool open = false;
    unsigned requests = 0;

    SSL* ssl() { return stream->native_handle(); }

    // Runs queued work until `finished` or the timeout; on timeout the
    // socket is closed so the pending operation completes (with an error).
    bool drive(const bool& finished) {
        ioc.restart();
        // The stream's own timer (expires_after) is the primary bound; this
        // one also covers name resolution, with slack so it fires second.
        ioc.run_for(timeout + std::chrono::milliseconds(500));
        if (finished) {
            return true;
        }
        beast::error_code ignored;
        beast::get_lowest_layer(*stream).socket().close(ignored);
        ioc.restart();
        ioc.run();
        return false;
    }

    Status connect() {
        tcp::resolver resolver(ioc);
        beast::error_code ec;
        tcp::resolver::results_type endpoints;
        bool finished = false;
        resolver.async_resolve(url.host, url.port,
                               [&](beast::error_code e, tcp::resolver::results_type r) {
                                   ec = e;
                                   endpoints = std::move(r);
                                   finished = true;
                               });
        if (!drive(finished)) {
            resolver.cancel();
            ioc.restart();
            ioc.run();
            return Error::network("resolving " + url.host + ": timed out");
        }
        if (ec) {
            return Error::network("resolving " + url.host + ": " + ec.message());
        }
        finished = false;
        auto& tcp_layer = beast::get_lowest_layer(*stream);
        tcp_layer.expires_after(timeout);
        tcp_layer.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
            ec = e;
            finished = true;
        });
        if (!drive(finished) || ec) {
            return stream_error("connecting to " + url.authority(),
                                ec ? ec : beast::error::timeout);
        }
        return Ok{};
    }

    Status prepare_tls(const ConnectionOptions& options) {
        const std::string& name = options.server_name.empty() ? url.host : options.server_name;
        boost::system::error_code ip_ec;
        asio::ip::make_address(name, ip_ec);
        const bool name_is_ip = !ip_ec;
        // RFC 6066 §3: SNI carries host names only, never address literals.
        if (!name_is_ip && SSL_set_tlsext_host_name(ssl(), name.c_str()) != 1) {
            return Error::input("cannot use \"" + name + "\" as TLS server name");
        }
        if (options.insecure) {
            return Ok{};
        }
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl());
        const int set = name_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                   : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
        if (set != 1) {
            return Error::input("cannot verify the server as \"" + name + "\"");
        }
        return Ok{};
    }

    Status handshake() {
        beast::error_code ec;
        bool finished = false;
        beast::get_lowest_layer(*stream).expires_after(timeout);
        stream->async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
            ec = e;
            finished = true;
        });
        if (!drive(finished) || ec == beast::error::timeout) {
            return Error::network("TLS handshake with " + url.authority() + ": timed out");
        }
        if (ec) {
            std::string message =
                "TLS handshake with " + url.authority() + " failed: " + ec.message();
            if (message.find("protocol version") != std::string::npos ||
                message.find("unsupported protocol") != std::string::npos) {
                message += " (no TLS version in common with the server)";
            }
            const long verify = SSL_get_verify_result(ssl());
            if (verify != X509_V_OK) {
                message += " (server certificate: ";
                message += X509_verify_cert_error_string(verify);
                message += ")";
            }
            ERR_clear_error();
            return Error::tls(std::move(message));
        }
        open = true;
        return Ok{};
    }

    // Writes the request and reads the answer on the TLS stream or, for a
    // plain connection, on the TCP stream beneath it.
    template <class Operation>
    void on_stream(Operation&& operation) {
        if (url.tls) {
            operation(*stream);
        } else {
            operation(beast::get_lowest_layer(*stream));
        }
    }

    void close() {
        if (!open) {
            return;
        }
        open = false;
        beast::error_code ignored;
        if (!url.tls) {
            beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
            beast::get_lowest_layer(*stream).socket().close(ignored);
            return;
        }
        // Best effort close_notify, bounded: a peer that never answers must
        // not hold the process.
        bool finished = false;
        beast::get_lowest_layer(*stream).expires_after(std::chrono::seconds(1));
        stream->async_shutdown([&](beast::error_code) { finished = true; });
        const auto saved = timeout;
        timeout = std::chrono::seconds(2);
        drive(finished);
        timeout = saved;
        beast::get_lowest_layer(*stream).socket().close(ignored);
    }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
}

Connection::~Connection() {
    if (!impl_) {
        return;
    }
    try {
        impl_->close();
    } catch (const std::exception&) {
        // The close_notify is a courtesy to the peer; a destructor must not
        // throw, and the socket closes with impl_ either way.
    }
}

Result<std::unique_ptr<Connection>> Connection::open(const Url& url,
                                                     const ConnectionOptions& options) {
    auto ctx = make_context(url, options);
    if (!ctx) {
        return std::move(ctx).take_error();
    }
    auto impl = std::make_unique<Impl>();
    impl->ctx = std::move(ctx).value();
    impl->url = url;
    impl->timeout = options.timeout;
    impl->user_agent = options.user_agent;
    impl->max_response_body = options.max_response_body;
    impl->keep_alive = options.keep_alive;
    impl->stream.emplace(impl->ioc, *impl->ctx);
    if (url.tls) {
        if (auto tls = impl->prepare_tls(options); !tls) {
            return std::move(tls).take_error();
        }
    }
    if (auto connected = impl->connect(); !connected) {
        return std::move(connected).take_error();
    }
    if (!url.tls) {
        impl->open = true;
    } else if (auto shook = impl->handshake(); !shook) {
        return std::move(shook).take_error();
    }
    return std::make_unique<Connection>(std::move(impl));
}

Result<HttpResponse> Connection::send(Method method, const std::string& target,
                                      std::string_view content_type, std::string body,
                                      const std::vector<HttpHeader>& extra_headers) {
    Impl& d = *impl_;
    if (!d.open) {
        return Error::network("connection to " + d.url.authority() + " is closed");
    }
    http::request<http::string_body> req{method == Method::get ? http::verb::get : http::verb::post,
                                         target, 11};
    req.set(http::field::host, d.url.authority());
    if (!d.user_agent.empty()) {
        req.set(http::field::user_agent, d.user_agent);
    }
    req.keep_alive(d.keep_alive);
    if (!content_type.empty()) {
        req.set(http::field::content_type, content_type);
    }
    for (const auto& h : extra_headers) {
        req.set(h.name, h.value);
    }
    req.body() = std::move(body);
    req.prepare_payload();

    beast::error_code ec;
    bool finished = false;
    beast::get_lowest_layer(*d.stream).expires_after(d.timeout);
    d.on_stream([&](auto& stream) {
        http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
            ec = e;
            finished = true;
        });
    });
    if (!d.drive(finished) || ec) {
        d.open = false;
        return stream_error("sending " + target, ec ? ec : beast::error::timeout);
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(d.max_response_body);
    finished = false;
    beast::get_lowest_layer(*d.stream).expires_after(d.timeout);
    d.on_stream([&](auto& stream) {
        // The header on its own first: Boost 1.74's eager parse (async_read)
        // finds a Content-Length over the body limit but parses on, so the
        // limit held only for bodies that arrived in later reads.
        http::async_read_header(
            stream, d.buffer, parser, [&](beast::error_code header_error, std::size_t) {
                if (header_error || parser.is_done()) {
                    ec = header_error;
                    finished = true;
                    return;
                }
                http::async_read(stream, d.buffer, parser, [&](beast::error_code e, std::size_t) {
                    ec = e;
                    finished = true;
                });
            });
    });
    if (!d.drive(finished) || ec) {
        d.open = false;
        return stream_error("reading the answer to " + target, ec ? ec : beast::error::timeout);
    }
    ++d.requests;
    if (!parser.get().keep_alive()) {
        d.close();
    }
    return to_http_response(parser.release());
}

std::optional<HttpResponse> parse_http_response(std::string_view bytes, std::size_t body_limit) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    if (!parse_message(parser, bytes)) {
        return std::nullopt;
    }
    return to_http_response(parser.release());
}

bool Connection::is_open() const {
    return impl_->open;
}

unsigned Connection::requests_sent() const {
    return impl_->requests;
}

TlsVersion Connection::version() const {
    return SSL_version(impl_->ssl()) == TLS1_3_VERSION ? TlsVersion::tls1_3 : TlsVersion::tls1_2;
}

std::string Connection::version_name() const {
    return SSL_get_version(impl_->ssl());
}

Result<pki::Bytes> Connection::tls_exporter() const {
    if (!impl_->url.tls) {
        return Error::tls("no TLS exporter on a plain http connection");
    }
    pki::Bytes out(32);
    if (SSL_export_keying_material(impl_->ssl(), out.data(), out.size(), kExporterLabel.data(),
                                   kExporterLabel.size(), nullptr, 0, 0) != 1) {
        return Error::tls("cannot export TLS keying material: " + pki::drain_openssl_errors());
    }
    return out;
}

Result<pki::Bytes> Connection::tls_unique() const {
    if (!impl_->url.tls) {
        return Error::tls("no tls-unique on a plain http connection");
    }
    if (version() != TlsVersion::tls1_2) {
        return Error::tls("tls-unique is not defined for " + version_name() +
                          " (RFC 8446 §C.5); use tls-exporter");
    }
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> buffer{};
    // The first Finished of the handshake: the client's on a full
    // handshake, the server's on a resumed one (RFC 5929 §3.1).
    const std::size_t n = SSL_session_reused(impl_->ssl()) != 0
                              ? SSL_get_peer_finished(impl_->ssl(), buffer.data(), buffer.size())
                              : SSL_get_finished(impl_->ssl(), buffer.data(), buffer.size());
    if (n == 0 || n > buffer.size()) {
        return Error::tls("no Finished message to derive tls-unique from");
    }
    return pki::Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
}

bool Connection::extended_master_secret() const {
    return SSL_get_extms_support(impl_->ssl()) == 1;
}

}  // namespace estd::https
