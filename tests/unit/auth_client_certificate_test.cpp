// X-SSL-Client-Cert: the header's parsing, and whose certificate a request
// carries (the TLS peer's, a trusted proxy's forwarded one, or a refusal).
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/auth/client_certificate.hpp"
#include "estd/pki/certificate.hpp"
#include "support/test_pki.hpp"

namespace estd::auth {
namespace {

// A peer from `address`, over TLS (without a client certificate) or not.
pki::PeerIdentity peer_at(std::string_view address, bool tls) {
    pki::PeerIdentity peer;
    peer.address = std::string(address);
    if (tls) {
        peer.tls_version = TLS1_3_VERSION;
        peer.tls_version_name = "TLSv1.3";
    }
    return peer;
}

// As nginx's $ssl_client_escaped_cert: everything but RFC 3986's unreserved
// characters percent-encoded (newlines, '+', '/', '=' and spaces included).
std::string escape(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0f]);
        }
    }
    return out;
}

class ClientCertificateTest : public ::testing::Test {
  protected:
    ClientCertificateTest() {
        test::CaOptions leaf;
        leaf.ca = false;
        cert_ = test::make_certificate("device-1", key_.get(), ca_.get(), ca_key_.get(), leaf);
        pem_ = test::certificates_pem({cert_.get()});
        auto proxies = TrustedProxies::parse({"127.0.0.1/32", "::1/128"});
        EXPECT_TRUE(proxies);
        proxies_ = std::move(*proxies);
    }

    // A request from `peer` on a TLS connection (no client certificate)
    // carrying `headers` as X-SSL-Client-Cert fields.
    Result<ClientCertificate> decide(std::string_view address,
                                     std::vector<std::string_view> headers) const {
        const auto peer = peer_at(address, true);
        return client_certificate(PresentedCertificate{peer, std::move(headers)}, proxies_);
    }

    pki::EvpPkeyPtr ca_key_ = test::make_ec_key();
    pki::X509Ptr ca_ = test::make_self_signed_ca("Proxy Test CA", ca_key_.get());
    pki::EvpPkeyPtr key_ = test::make_ec_key();
    pki::X509Ptr cert_;
    std::string pem_;
    TrustedProxies proxies_;
};

TEST_F(ClientCertificateTest, ParsesTheEscapedPemNginxSends) {
    auto parsed = parse_client_cert_header(escape(pem_));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(X509_cmp(parsed->get(), cert_.get()), 0);
    // Only the line breaks escaped: '+' and '/' of the base64 stay as they are.
    std::string lines_only;
    for (const char c : pem_) {
        lines_only += c == '\n' ? std::string("%0A") : std::string(1, c);
    }
    parsed = parse_client_cert_header(lines_only);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(X509_cmp(parsed->get(), cert_.get()), 0);
}

TEST_F(ClientCertificateTest, RefusesAnythingButOneCertificate) {
    const auto refused = [](const std::string& value) {
        auto parsed = parse_client_cert_header(value);
        if (parsed) {
            return std::string("accepted");
        }
        EXPECT_EQ(parsed.error().kind, ErrorKind::bad_request) << value;
        EXPECT_EQ(parsed.error().audit_code, audit::codes::kAuthFailedMtls);
        return parsed.error().message;
    };
    EXPECT_NE(refused(escape(pem_) + "%4").find("not percent-encoded"), std::string::npos);
    EXPECT_NE(refused("%zz" + escape(pem_)).find("not percent-encoded"), std::string::npos);
    EXPECT_NE(refused(escape(pem_ + pem_)).find("not one PEM"), std::string::npos);
    EXPECT_NE(refused(escape("junk\n" + pem_)).find("not one PEM"), std::string::npos);
    EXPECT_NE(refused(escape(pem_ + "junk")).find("not one PEM"), std::string::npos);
    EXPECT_NE(refused(escape(test::private_key_pem(key_.get()))).find("not one PEM"),
              std::string::npos);
    EXPECT_NE(refused("device-1").find("not one PEM"), std::string::npos);
    // A corrupt body between the lines.
    std::string corrupt = pem_;
    corrupt[corrupt.find('\n') + 10] = '*';
    EXPECT_EQ(refused(escape(corrupt)).find("accepted"), std::string::npos);
    EXPECT_NE(refused(std::string(kMaxClientCertHeaderBytes + 1, 'A')).find("longer than"),
              std::string::npos);
}

TEST_F(ClientCertificateTest, WithoutTheHeaderTheTlsCertificateCounts) {
    auto none = decide("127.0.0.1", {});
    ASSERT_TRUE(none);
    EXPECT_EQ(none->source(), CertificateSource::none);
    EXPECT_FALSE(none->present());
    const auto no_tls = peer_at("192.0.2.1", false);
    auto socketless = client_certificate(PresentedCertificate{no_tls, {}}, proxies_);
    ASSERT_TRUE(socketless);
    EXPECT_FALSE(socketless->present());
}

TEST_F(ClientCertificateTest, ATrustedProxysHeaderIsTheClientsCertificate) {
    const std::string value = escape(pem_);
    for (const std::string_view peer : {"127.0.0.1", "::1"}) {
        auto client = decide(peer, {value});
        ASSERT_TRUE(client) << client.error().message;
        EXPECT_EQ(client->source(), CertificateSource::forwarded);
        EXPECT_EQ(X509_cmp(client->leaf(), cert_.get()), 0);
        EXPECT_EQ(client->untrusted(), nullptr);
    }
    // An empty value: the proxy's client presented none.
    auto none = decide("127.0.0.1", {""});
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->present());
    // Twice, or malformed: 400.
    auto twice = decide("127.0.0.1", {value, value});
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().kind, ErrorKind::bad_request);
    EXPECT_NE(twice.error().message.find("more than once"), std::string::npos);
    auto bad = decide("127.0.0.1", {"%"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::bad_request);
}

TEST_F(ClientCertificateTest, FromAnyOtherPeerTheHeaderIsRefusedNeverBelieved) {
    const std::string value = escape(pem_);
    for (const std::string_view peer : {"127.0.0.2", "192.0.2.1", "::2", "not-an-address"}) {
        auto client = decide(peer, {value});
        ASSERT_FALSE(client) << peer;
        EXPECT_EQ(client.error().kind, ErrorKind::unauthorized);
        EXPECT_EQ(client.error().audit_code, audit::codes::kAuthFailedMtls);
        EXPECT_NE(client.error().message.find("not a trusted proxy"), std::string::npos);
    }
    // Refused even when empty or malformed: the sender is not to be believed at all.
    EXPECT_EQ(decide("127.0.0.2", {""}).error().kind, ErrorKind::unauthorized);
    EXPECT_EQ(decide("127.0.0.2", {"%"}).error().kind, ErrorKind::unauthorized);
    // A trusted address but no TLS (a socketless request): not believed.
    const auto plain_peer = peer_at("127.0.0.1", false);
    auto plain = client_certificate(PresentedCertificate{plain_peer, {value}}, proxies_);
    ASSERT_FALSE(plain);
    EXPECT_EQ(plain.error().kind, ErrorKind::unauthorized);
    // Nobody is trusted by default.
    const auto proxy = peer_at("127.0.0.1", true);
    auto nobody = client_certificate(PresentedCertificate{proxy, {value}}, TrustedProxies{});
    ASSERT_FALSE(nobody);
    EXPECT_EQ(nobody.error().kind, ErrorKind::unauthorized);
}

TEST_F(ClientCertificateTest, ThroughATrustedProxyMeansAForwardingHeaderFromOne) {
    EXPECT_TRUE(via_trusted_proxy("127.0.0.1", true, proxies_));
    EXPECT_FALSE(via_trusted_proxy("127.0.0.1", false, proxies_));
    EXPECT_FALSE(via_trusted_proxy("127.0.0.2", true, proxies_));
    EXPECT_FALSE(via_trusted_proxy("127.0.0.1", true, TrustedProxies{}));
}

}  // namespace
}  // namespace estd::auth
