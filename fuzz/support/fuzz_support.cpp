#include "support/fuzz_support.hpp"

#include <stdexcept>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "estd/config/config.hpp"

namespace estd::fuzz {
namespace {

using SslCtxPtr = pki::OpenSslPtr<SSL_CTX, SSL_CTX_free>;

std::unique_ptr<TestPki> make_test_pki() {
    auto made = std::make_unique<TestPki>();
    made->ca_key = test::make_ec_key();
    made->ca_cert = test::make_self_signed_ca("Fuzz CA", made->ca_key.get());
    made->ca_cert_path = made->dir.write("ca.crt", test::certificates_pem({made->ca_cert.get()}));
    made->ca_key_path = made->dir.write("ca.key", test::private_key_pem(made->ca_key.get()));
    config::IssuerConfig issuer_cfg;
    issuer_cfg.id = "iss-local";
    issuer_cfg.type = "local";
    issuer_cfg.ca_cert_path = made->ca_cert_path;
    issuer_cfg.ca_key_path = made->ca_key_path;
    auto issuer = issuer::LocalIssuer::load(issuer_cfg);
    if (!issuer) {
        throw std::runtime_error("fuzz PKI: " + issuer.error().message);
    }
    made->issuer = std::move(*issuer);
    made->ec_key = test::make_ec_key();
    made->rsa_key = test::make_rsa_key(2048);
    made->ed25519_key = test::make_ed25519_key();
    return made;
}

// Runs the handshake between two memory BIOs until both ends are done.
void handshake(SSL* client, SSL* server) {
    for (int round = 0; round < 20; ++round) {
        const int c = SSL_do_handshake(client);
        const int s = SSL_do_handshake(server);
        if (c == 1 && s == 1) {
            return;
        }
    }
    throw std::runtime_error("fuzz TLS: in-memory handshake did not finish");
}

std::unique_ptr<TlsConnection> make_tls_connection(int version) {
    auto& pki = test_pki();
    const auto server_key = test::make_ec_key();
    test::CaOptions leaf;
    leaf.ca = false;
    const auto server_cert = test::make_certificate("localhost", server_key.get(),
                                                    pki.ca_cert.get(), pki.ca_key.get(), leaf);
    SslCtxPtr server_ctx(SSL_CTX_new(TLS_server_method()));
    SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
    if (!server_ctx || !client_ctx ||
        SSL_CTX_use_certificate(server_ctx.get(), server_cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(server_ctx.get(), server_key.get()) != 1) {
        throw std::runtime_error("fuzz TLS: context setup failed");
    }
    for (SSL_CTX* ctx : {server_ctx.get(), client_ctx.get()}) {
        SSL_CTX_set_min_proto_version(ctx, version);
        SSL_CTX_set_max_proto_version(ctx, version);
    }
    auto made = std::make_unique<TlsConnection>();
    made->server.reset(SSL_new(server_ctx.get()));
    made->client.reset(SSL_new(client_ctx.get()));
    BIO* server_side = nullptr;
    BIO* client_side = nullptr;
    if (!made->server || !made->client || BIO_new_bio_pair(&server_side, 0, &client_side, 0) != 1) {
        throw std::runtime_error("fuzz TLS: SSL setup failed");
    }
    // Each SSL owns its end of the pair from here on.
    SSL_set_bio(made->server.get(), server_side, server_side);
    SSL_set_bio(made->client.get(), client_side, client_side);
    SSL_set_accept_state(made->server.get());
    SSL_set_connect_state(made->client.get());
    handshake(made->client.get(), made->server.get());
    return made;
}

}  // namespace

TestPki& test_pki() {
    static const std::unique_ptr<TestPki> pki = make_test_pki();
    return *pki;
}

std::optional<pki::Bytes> resigned_csr(std::span<const std::uint8_t> der, EVP_PKEY* key) {
    const unsigned char* cursor = der.data();
    pki::X509ReqPtr req(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())));
    if (!req || X509_REQ_set_pubkey(req.get(), key) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    return signed_request_der(req.get(), key);
}

std::optional<pki::Bytes> signed_request_der(X509_REQ* req, EVP_PKEY* key) {
    // Ed25519 signs without a separate digest.
    const EVP_MD* digest = EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
    if (X509_REQ_sign(req, key, digest) <= 0) {
        ERR_clear_error();
        return std::nullopt;
    }
    unsigned char* out = nullptr;
    const int length = i2d_X509_REQ(req, &out);
    if (length <= 0) {
        ERR_clear_error();
        return std::nullopt;
    }
    const pki::OpenSslBuffer<unsigned char> owned(out);
    return pki::Bytes(out, out + length);
}

TlsConnection& tls_connection(int version) {
    static const std::unique_ptr<TlsConnection> tls13 = make_tls_connection(TLS1_3_VERSION);
    static const std::unique_ptr<TlsConnection> tls12 = make_tls_connection(TLS1_2_VERSION);
    return version == TLS1_2_VERSION ? *tls12 : *tls13;
}

}  // namespace estd::fuzz
