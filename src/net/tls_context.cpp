#include "estd/net/tls_context.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace estd::net {

namespace {

// TLS 1.2 only: forward-secret AEAD suites. TLS 1.3 suites are all fine and
// stay at OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// P-384 is kept for devices whose TLS stacks offer nothing else.
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr unsigned char kSessionIdContext[] = "estd";

// Drains OpenSSL's error queue into one readable line.
std::string openssl_errors() {
    std::string out;
    while (unsigned long code = ERR_get_error()) {
        if (!out.empty()) {
            out += "; ";
        }
        if (const char* reason = ERR_reason_error_string(code)) {
            out += reason;
        } else {
            char buffer[256];
            ERR_error_string_n(code, buffer, sizeof buffer);
            out += buffer;
        }
    }
    return out.empty() ? std::string("unknown OpenSSL error") : out;
}

// Opening the file ourselves first gives "No such file or directory" instead
// of OpenSSL's less direct "system lib".
std::optional<std::string> unreadable(const std::string& what, const std::string& path) {
    if (path.empty()) {
        return what + " path is not set";
    }
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
        return "cannot read " + what + " " + path + ": " + std::strerror(errno);
    }
    std::fclose(file);
    return std::nullopt;
}

// A client certificate is verified by the handler, against the trust of the
// profile the request is for: failing the handshake here would reject
// clients of CAs this layer does not know about. Its connection is never
// resumable: a resumed session keeps the leaf but not the intermediates the
// client sent, which the handler may need, and minting a TLS 1.3 ticket that
// carries a certificate cost a fifth of an mTLS re-enrollment's CPU (the
// session is encoded and decoded again).
int take_client_certificate(X509_STORE_CTX* store, void* /*arg*/) {
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (ssl == nullptr || SSL_set_num_tickets(ssl, 0) != 1) {
        return 0;
    }
    return 1;
}

// TLS 1.2 also resumes by session id from the server's cache.
int uncache_client_certificate_session(SSL* ssl, SSL_SESSION* session) {
    if (SSL_SESSION_get0_peer(session) != nullptr) {
        SSL_CTX_remove_session(SSL_get_SSL_CTX(ssl), session);
    }
    return 0;  // no reference to the session is kept
}

// TLS 1.2 decides on its ticket before the client's certificate arrives, so
// a ticket that carries one is refused when it comes back instead.
SSL_TICKET_RETURN resume_without_client_certificate(SSL* /*ssl*/, SSL_SESSION* session,
                                                    const unsigned char* /*key_name*/,
                                                    std::size_t /*key_name_length*/,
                                                    SSL_TICKET_STATUS status, void* /*arg*/) {
    switch (status) {
        case SSL_TICKET_SUCCESS:
        case SSL_TICKET_SUCCESS_RENEW:
            if (SSL_SESSION_get0_peer(session) != nullptr) {
                return SSL_TICKET_RETURN_IGNORE_RENEW;
            }
            return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE
                                                : SSL_TICKET_RETURN_USE_RENEW;
        case SSL_TICKET_EMPTY:
        case SSL_TICKET_NO_DECRYPT:
            return SSL_TICKET_RETURN_IGNORE_RENEW;
        case SSL_TICKET_NONE:
            return SSL_TICKET_RETURN_IGNORE;
        default:
            return SSL_TICKET_RETURN_ABORT;
    }
}

Status configure(SSL_CTX* ctx, const config::ListenerConfig& listener) {
    const int min_version =
        listener.tls_min_version == config::TlsMinVersion::tls1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
    if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
        return Error::internal("cannot set TLS protocol versions: " + openssl_errors());
    }

    std::uint64_t options =
        SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION;
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    // HTTP framing already detects truncated messages; a peer dropping TCP
    // without close_notify is then a plain end of stream, not an error.
    options |= SSL_OP_IGNORE_UNEXPECTED_EOF;
#endif
    SSL_CTX_set_options(ctx, options);
    // Idle keep-alive connections then hold no TLS read/write buffers.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    // One TLS 1.3 ticket after a full handshake, not OpenSSL's two: an EST
    // client resumes one connection at a time and gets a fresh ticket on
    // each resumed one, and minting the second cost ~5% of a handshake.
    if (SSL_CTX_set_num_tickets(ctx, 1) != 1) {
        return Error::internal("cannot set the number of TLS 1.3 tickets: " + openssl_errors());
    }

    if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
        return Error::internal("cannot set TLS 1.2 ciphers: " + openssl_errors());
    }
    if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
        return Error::internal("cannot set TLS key exchange groups: " + openssl_errors());
    }

    // Resumption (TLS 1.3 tickets included) fails the handshake when peer
    // verification is on and no session id context is set.
    if (SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1) != 1) {
        return Error::internal("cannot set TLS session id context: " + openssl_errors());
    }
    // Request a client certificate, never require it.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_cert_verify_callback(ctx, take_client_certificate, nullptr);
    SSL_CTX_sess_set_new_cb(ctx, uncache_client_certificate_session);
    if (SSL_CTX_set_session_ticket_cb(ctx, nullptr, resume_without_client_certificate, nullptr) !=
        1) {
        return Error::internal("cannot set TLS session ticket callback: " + openssl_errors());
    }

    if (auto problem = unreadable("TLS certificate file", listener.tls_cert_path)) {
        return Error::internal(*problem);
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, listener.tls_cert_path.c_str()) != 1) {
        return Error::internal("cannot load TLS certificate chain from " + listener.tls_cert_path +
                               ": " + openssl_errors());
    }
    if (auto problem = unreadable("TLS key file", listener.tls_key_path)) {
        return Error::internal(*problem);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, listener.tls_key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL also fails here when the key does not match the certificate.
        return Error::internal("cannot use TLS private key " + listener.tls_key_path +
                               " with the certificate in " + listener.tls_cert_path + ": " +
                               openssl_errors());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        return Error::internal("TLS private key " + listener.tls_key_path +
                               " does not match the certificate in " + listener.tls_cert_path +
                               ": " + openssl_errors());
    }
    return Ok{};
}

}  // namespace

Result<std::unique_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const config::ListenerConfig& listener) {
    ERR_clear_error();
    std::unique_ptr<boost::asio::ssl::context> context;
    try {
        context =
            std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    } catch (const std::exception& e) {
        return Error::internal(std::string("cannot create TLS context: ") + e.what());
    }
    if (auto status = configure(context->native_handle(), listener); !status) {
        ERR_clear_error();
        return std::move(status).take_error();
    }
    return context;
}

}  // namespace estd::net
