// Channel binding over real TLS handshakes between two in-memory OpenSSL
// endpoints: the server's value must equal what the client computes, on
// TLS 1.3 (exporter) and TLS 1.2 (tls-unique, full and resumed handshakes).
#include <array>
#include <string>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/auth/channel_binding.hpp"
#include "estd/http/error_status.hpp"
#include "estd/net/peer_identity.hpp"
#include "estd/pki/base64.hpp"
#include "support/test_pki.hpp"

namespace estd::auth {
namespace {

using SslCtxPtr = pki::OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = pki::OpenSslPtr<SSL, SSL_free>;
using SessionPtr = pki::OpenSslPtr<SSL_SESSION, SSL_SESSION_free>;

// A server and a client context; each connect() runs one handshake between
// them over a BIO pair.
class TlsLab {
  public:
    TlsLab(int max_version, bool client_ems) : key_(test::make_ec_key()) {
        test::CaOptions leaf;
        leaf.ca = false;  // keyUsage digitalSignature: TLS 1.2 ECDHE-ECDSA insists
        cert_ = test::make_certificate("binding-lab", key_.get(), nullptr, nullptr, leaf);
        server_ctx_.reset(SSL_CTX_new(TLS_server_method()));
        client_ctx_.reset(SSL_CTX_new(TLS_client_method()));
        SSL_CTX_use_certificate(server_ctx_.get(), cert_.get());
        SSL_CTX_use_PrivateKey(server_ctx_.get(), key_.get());
        for (SSL_CTX* ctx : {server_ctx_.get(), client_ctx_.get()}) {
            SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
            SSL_CTX_set_max_proto_version(ctx, max_version);
        }
        if (!client_ems) {
            SSL_CTX_set_options(client_ctx_.get(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
        }
    }

    struct Connection {
        SslPtr server;
        SslPtr client;
        pki::PeerIdentity peer{};  // the server's view, read after the handshake
    };

    Connection connect(SSL_SESSION* resume = nullptr) {
        Connection c{SslPtr(SSL_new(server_ctx_.get())), SslPtr(SSL_new(client_ctx_.get()))};
        BIO* server_bio = nullptr;
        BIO* client_bio = nullptr;
        EXPECT_EQ(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0), 1);
        SSL_set_bio(c.server.get(), server_bio, server_bio);
        SSL_set_bio(c.client.get(), client_bio, client_bio);
        if (resume != nullptr) {
            SSL_set_session(c.client.get(), resume);
        }
        SSL_set_accept_state(c.server.get());
        SSL_set_connect_state(c.client.get());
        bool client_done = false;
        bool server_done = false;
        for (int round = 0; round < 100 && !(client_done && server_done); ++round) {
            client_done = client_done || SSL_do_handshake(c.client.get()) == 1;
            server_done = server_done || SSL_do_handshake(c.server.get()) == 1;
        }
        EXPECT_TRUE(client_done && server_done)
            << "handshake did not complete: " << ERR_reason_error_string(ERR_peek_error());
        ERR_clear_error();
        c.peer = net::read_peer_identity(c.server.get(), "192.0.2.1");
        return c;
    }

  private:
    pki::EvpPkeyPtr key_;
    pki::X509Ptr cert_;
    SslCtxPtr server_ctx_;
    SslCtxPtr client_ctx_;
};

pki::Bytes client_exporter(SSL* client) {
    pki::Bytes out(kExporterLength);
    EXPECT_EQ(SSL_export_keying_material(client, out.data(), out.size(), kExporterLabel.data(),
                                         kExporterLabel.size(), nullptr, 0, 0),
              1);
    return out;
}

// RFC 5929 from the client's side: its own Finished on a full handshake,
// the server's on a resumed one.
pki::Bytes client_tls_unique(SSL* client) {
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> buffer{};
    const std::size_t n = SSL_session_reused(client) != 0
                              ? SSL_get_peer_finished(client, buffer.data(), buffer.size())
                              : SSL_get_finished(client, buffer.data(), buffer.size());
    return pki::Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
}

std::string b64(const pki::Bytes& bytes) {
    std::string text = pki::base64_encode_lines(bytes);
    std::erase(text, '\n');
    return text;
}

class ChannelBindingTest : public ::testing::Test {
  protected:
    pki::Csr csr(std::optional<std::string> challenge_password,
                 std::optional<pki::Bytes> attribute = std::nullopt) {
        test::CsrOptions options;
        options.common_name = "device-cb";
        options.challenge_password = std::move(challenge_password);
        if (attribute) {
            options.octet_string_attributes.emplace_back(kChannelBindingAttributeOid, *attribute);
        }
        auto parsed = pki::Csr::from_der(test::make_csr(key_.get(), options));
        EXPECT_TRUE(parsed);
        return std::move(parsed).value();
    }

    static void expect_failure(const Status& status, ErrorKind kind, const char* reason) {
        ASSERT_FALSE(status) << "expected kind " << static_cast<int>(kind);
        EXPECT_EQ(status.error().kind, kind) << status.error().message;
        EXPECT_EQ(status.error().audit_code, audit::codes::kAuthFailedChannelBinding);
        EXPECT_EQ(status.error().message.rfind(std::string("channel binding ") + reason, 0), 0u)
            << status.error().message;
    }

    pki::EvpPkeyPtr key_ = test::make_ec_key();
};

TEST_F(ChannelBindingTest, Tls13ExporterInChallengePasswordOrAttribute) {
    TlsLab lab(TLS1_3_VERSION, true);
    auto conn = lab.connect();
    auto other = lab.connect();
    const auto exporter = client_exporter(conn.client.get());
    const auto other_exporter = client_exporter(other.client.get());
    ASSERT_NE(exporter, other_exporter);

    auto server = server_channel_binding(conn.peer);
    ASSERT_TRUE(server);
    EXPECT_EQ(server->type, ChannelBindingType::tls_exporter);
    EXPECT_EQ(server->value, exporter);

    const pki::PeerIdentity& peer = conn.peer;
    EXPECT_TRUE(check_channel_binding(csr(b64(exporter)), peer, true));
    EXPECT_TRUE(check_channel_binding(csr(std::nullopt, exporter), peer, true));
    EXPECT_TRUE(check_channel_binding(csr(b64(exporter), exporter), peer, true));
    EXPECT_TRUE(check_channel_binding(csr(std::nullopt), peer, false));

    expect_failure(check_channel_binding(csr(std::nullopt), peer, true), ErrorKind::bad_request,
                   "missing");
    expect_failure(check_channel_binding(csr(b64(other_exporter)), peer, true), ErrorKind::conflict,
                   "mismatch");
    expect_failure(check_channel_binding(csr(std::nullopt, other_exporter), peer, true),
                   ErrorKind::conflict, "mismatch");
    // Both forms present: both are verified.
    expect_failure(check_channel_binding(csr(b64(other_exporter), exporter), peer, true),
                   ErrorKind::conflict, "mismatch");
    // A present binding is verified even where none is required.
    expect_failure(check_channel_binding(csr(b64(other_exporter)), peer, false),
                   ErrorKind::conflict, "mismatch");
    expect_failure(check_channel_binding(csr("hunter2 is not base64!"), peer, false),
                   ErrorKind::conflict, "mismatch");
    // Truncated: same prefix, shorter.
    const pki::Bytes truncated(exporter.begin(), exporter.begin() + 16);
    expect_failure(check_channel_binding(csr(std::nullopt, truncated), peer, true),
                   ErrorKind::conflict, "mismatch");
}

TEST_F(ChannelBindingTest, MismatchTextNamesWhatTheConnectionHolds) {
    TlsLab lab(TLS1_3_VERSION, true);
    auto conn = lab.connect();
    auto other = lab.connect();
    const auto wrong =
        check_channel_binding(csr(b64(client_exporter(other.client.get()))), conn.peer, false);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("challengePassword does not match this TLS connection's "
                                         "TLS 1.3 exporter value (RFC 9266)"),
              std::string::npos)
        << wrong.error().message;
    const auto unreadable = check_channel_binding(csr("not base64!"), conn.peer, false);
    ASSERT_FALSE(unreadable);
    EXPECT_NE(unreadable.error().message.find(
                  "challengePassword is not base64 of a TLS 1.3 exporter value"),
              std::string::npos)
        << unreadable.error().message;
}

TEST_F(ChannelBindingTest, Tls12UniqueOnFullAndResumedHandshakes) {
    TlsLab lab(TLS1_2_VERSION, true);
    auto full = lab.connect();
    ASSERT_EQ(SSL_version(full.server.get()), TLS1_2_VERSION);
    ASSERT_EQ(SSL_get_extms_support(full.server.get()), 1);
    ASSERT_EQ(SSL_session_reused(full.server.get()), 0);
    const auto unique = client_tls_unique(full.client.get());
    ASSERT_FALSE(unique.empty());

    auto server = server_channel_binding(full.peer);
    ASSERT_TRUE(server);
    EXPECT_EQ(server->type, ChannelBindingType::tls_unique);
    EXPECT_EQ(server->value, unique);
    EXPECT_TRUE(check_channel_binding(csr(b64(unique)), full.peer, true));
    expect_failure(check_channel_binding(csr(std::nullopt), full.peer, true),
                   ErrorKind::bad_request, "missing");
    // The exporter attribute is TLS 1.3's form: this connection cannot carry it.
    const auto status = check_channel_binding(csr(std::nullopt, client_exporter(full.client.get())),
                                              full.peer, false);
    expect_failure(status, ErrorKind::tls_upgrade_required, "unavailable");

    // Resumption: the first Finished is now the server's.
    SessionPtr session(SSL_get1_session(full.client.get()));
    auto resumed = lab.connect(session.get());
    ASSERT_EQ(SSL_session_reused(resumed.server.get()), 1);
    const auto resumed_unique = client_tls_unique(resumed.client.get());
    EXPECT_NE(resumed_unique, unique);
    auto resumed_server = server_channel_binding(resumed.peer);
    ASSERT_TRUE(resumed_server);
    EXPECT_EQ(resumed_server->value, resumed_unique);
    EXPECT_TRUE(check_channel_binding(csr(b64(resumed_unique)), resumed.peer, true));
    expect_failure(check_channel_binding(csr(b64(unique)), resumed.peer, true), ErrorKind::conflict,
                   "mismatch");
}

TEST_F(ChannelBindingTest, Tls12WithoutExtendedMasterSecretCannotCarryABinding) {
    TlsLab lab(TLS1_2_VERSION, false);
    auto conn = lab.connect();
    ASSERT_EQ(SSL_get_extms_support(conn.server.get()), 0);
    const auto unique = client_tls_unique(conn.client.get());
    EXPECT_FALSE(server_channel_binding(conn.peer));
    expect_failure(check_channel_binding(csr(std::nullopt), conn.peer, true),
                   ErrorKind::tls_upgrade_required, "unavailable");
    expect_failure(check_channel_binding(csr(b64(unique)), conn.peer, false),
                   ErrorKind::tls_upgrade_required, "unavailable");
    EXPECT_TRUE(check_channel_binding(csr(std::nullopt), conn.peer, false));

    const auto status = check_channel_binding(csr(std::nullopt), conn.peer, true);
    ASSERT_FALSE(status);
    const auto headers = http::headers_of(status.error());
    ASSERT_EQ(headers.size(), 1u);
    EXPECT_EQ(headers[0].first, "Upgrade");
}

TEST_F(ChannelBindingTest, WithoutTlsNothingCanBeBound) {
    const pki::PeerIdentity socketless;
    expect_failure(check_channel_binding(csr(std::nullopt), socketless, true),
                   ErrorKind::tls_upgrade_required, "unavailable");
    EXPECT_TRUE(check_channel_binding(csr(std::nullopt), socketless, false));
}

TEST(ChannelBindingProfileTest, CsrattrsListsChallengePasswordWhenBindingIsRequired) {
    config::EstProfileConfig profile;
    EXPECT_FALSE(requires_challenge_password(profile));
    profile.channel_binding_required = true;
    EXPECT_TRUE(requires_challenge_password(profile));
}

}  // namespace
}  // namespace estd::auth
