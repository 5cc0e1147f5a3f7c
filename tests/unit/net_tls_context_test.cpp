#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "estd/net/tls_context.hpp"

namespace {

namespace fs = std::filesystem;
using estd::config::ListenerConfig;
using estd::config::TlsMinVersion;
using estd::net::make_server_tls_context;

struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
    void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key make_key() {
    return Key(EVP_EC_gen("P-256"));
}

Cert self_signed(EVP_PKEY* key) {
    Cert cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_sign(cert.get(), key, EVP_sha256());
    return cert;
}

bool write_pem(const fs::path& path, EVP_PKEY* key, X509* cert) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
        return false;
    }
    const bool ok =
        key != nullptr ? PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1
                       : PEM_write_X509(file, cert) == 1;
    std::fclose(file);
    return ok;
}

class NetTlsContextTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("estd-net-tls-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        const Key key = make_key();
        const Key other = make_key();
        ASSERT_TRUE(key && other);
        const Cert cert = self_signed(key.get());
        ASSERT_TRUE(write_pem(dir_ / "cert.pem", nullptr, cert.get()));
        ASSERT_TRUE(write_pem(dir_ / "key.pem", key.get(), nullptr));
        ASSERT_TRUE(write_pem(dir_ / "other-key.pem", other.get(), nullptr));
        std::ofstream(dir_ / "garbage.pem") << "not a certificate\n";
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    ListenerConfig listener() const {
        ListenerConfig config;
        config.tls_cert_path = (dir_ / "cert.pem").string();
        config.tls_key_path = (dir_ / "key.pem").string();
        return config;
    }

    fs::path dir_;
};

TEST_F(NetTlsContextTest, DefaultsToTls13Only) {
    auto context = make_server_tls_context(listener());
    ASSERT_TRUE(context.ok()) << context.error().message;
    SSL_CTX* ctx = (*context)->native_handle();
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
    EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
}

TEST_F(NetTlsContextTest, Tls12CanBeAllowed) {
    auto config = listener();
    config.tls_min_version = TlsMinVersion::tls1_2;
    auto context = make_server_tls_context(config);
    ASSERT_TRUE(context.ok()) << context.error().message;
    SSL_CTX* ctx = (*context)->native_handle();
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
}

TEST_F(NetTlsContextTest, RequestsButDoesNotRequireClientCertificate) {
    auto context = make_server_tls_context(listener());
    ASSERT_TRUE(context.ok()) << context.error().message;
    SSL_CTX* ctx = (*context)->native_handle();
    // Without SSL_VERIFY_FAIL_IF_NO_PEER_CERT. That a self-signed client
    // certificate passes the handshake is checked end to end by NetServerTest.
    EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
}

TEST_F(NetTlsContextTest, DisablesRenegotiation) {
    auto context = make_server_tls_context(listener());
    ASSERT_TRUE(context.ok()) << context.error().message;
    EXPECT_NE(SSL_CTX_get_options((*context)->native_handle()) & SSL_OP_NO_RENEGOTIATION, 0U);
}

TEST_F(NetTlsContextTest, MissingCertificateNamesTheFile) {
    auto config = listener();
    config.tls_cert_path = (dir_ / "missing.pem").string();
    auto context = make_server_tls_context(config);
    ASSERT_FALSE(context.ok());
    EXPECT_NE(context.error().message.find(config.tls_cert_path), std::string::npos)
        << context.error().message;
}

TEST_F(NetTlsContextTest, MissingKeyNamesTheFile) {
    auto config = listener();
    config.tls_key_path = (dir_ / "missing-key.pem").string();
    auto context = make_server_tls_context(config);
    ASSERT_FALSE(context.ok());
    EXPECT_NE(context.error().message.find(config.tls_key_path), std::string::npos)
        << context.error().message;
}

TEST_F(NetTlsContextTest, UnparsableCertificateNamesTheFile) {
    auto config = listener();
    config.tls_cert_path = (dir_ / "garbage.pem").string();
    auto context = make_server_tls_context(config);
    ASSERT_FALSE(context.ok());
    EXPECT_NE(context.error().message.find(config.tls_cert_path), std::string::npos)
        << context.error().message;
}

TEST_F(NetTlsContextTest, MismatchedKeyNamesBothFiles) {
    auto config = listener();
    config.tls_key_path = (dir_ / "other-key.pem").string();
    auto context = make_server_tls_context(config);
    ASSERT_FALSE(context.ok());
    EXPECT_NE(context.error().message.find(config.tls_key_path), std::string::npos)
        << context.error().message;
    EXPECT_NE(context.error().message.find(config.tls_cert_path), std::string::npos)
        << context.error().message;
}

TEST_F(NetTlsContextTest, UnsetPathIsReported) {
    auto config = listener();
    config.tls_cert_path.clear();
    auto context = make_server_tls_context(config);
    ASSERT_FALSE(context.ok());
    EXPECT_NE(context.error().message.find("not set"), std::string::npos)
        << context.error().message;
}

}  // namespace
