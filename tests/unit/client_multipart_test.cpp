#include <algorithm>

#include <gtest/gtest.h>
#include <openssl/cms.h>
#include <openssl/evp.h>

#include "estd/client/encoding.hpp"
#include "estd/client/est_client.hpp"
#include "estd/client/multipart.hpp"
#include "estd/est/server_keygen.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/cms.hpp"
#include "estd/pki/pkcs7.hpp"
#include "support/test_pki.hpp"

namespace estd::client {
namespace {

using pki::Bytes;

TEST(ClientContentType, ParsesTypeAndParameters) {
    const auto type = parse_content_type(
        " Application/PKCS7-MIME ; smime-type=server-generated-key ;"
        " name=\"a;b \\\"c\\\"\"");
    EXPECT_EQ(type.media_type, "application/pkcs7-mime");
    EXPECT_EQ(type.parameter("SMIME-Type"), "server-generated-key");
    EXPECT_EQ(type.parameter("name"), "a;b \"c\"");
    EXPECT_EQ(type.parameter("absent"), "");
}

TEST(ClientMultipart, SplitsPartsExactly) {
    const std::string body =
        "preamble to ignore\r\n"
        "--estBoundary\r\n"
        "Content-Type: application/pkcs8\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "AAEC\r\n"
        "AwQ=\r\n"
        "--estBoundary\r\n"
        "content-type:application/pkcs7-mime;\r\n"
        " smime-type=certs-only\r\n"
        "CONTENT-TRANSFER-ENCODING:   base64  \r\n"
        "\r\n"
        "BQY=\r\n"
        "--estBoundary--\r\n"
        "epilogue";
    const auto parts = parse_multipart("multipart/mixed; boundary=estBoundary", body);
    ASSERT_TRUE(parts.ok()) << parts.error().message;
    ASSERT_EQ(parts->size(), 2U);
    const auto& key = (*parts)[0];
    ASSERT_EQ(key.headers.size(), 2U);
    EXPECT_EQ(key.headers[0].name, "Content-Type");
    EXPECT_EQ(key.headers[0].value, "application/pkcs8");
    EXPECT_EQ(key.header("content-transfer-encoding"), "base64");
    EXPECT_EQ(key.body, "AAEC\r\nAwQ=");
    const auto& cert = (*parts)[1];
    ASSERT_EQ(cert.headers.size(), 2U);
    EXPECT_EQ(cert.header("Content-Type"), "application/pkcs7-mime; smime-type=certs-only");
    EXPECT_EQ(cert.header("Content-Transfer-Encoding"), "base64");
    EXPECT_EQ(cert.body, "BQY=");
}

TEST(ClientMultipart, BareLfQuotedBoundaryAndHeaderlessPart) {
    const std::string body =
        "--b\"1\n"  // not a delimiter of boundary "b1"
        "--b1\n"
        "\n"
        "no headers here\n"
        "--b1  \n"  // transport padding after the delimiter
        "X-Other: 1\n"
        "\n"
        "second\n"
        "--b1--\n";
    const auto parts = parse_multipart("multipart/mixed; boundary=\"b1\"", body);
    ASSERT_TRUE(parts.ok()) << parts.error().message;
    ASSERT_EQ(parts->size(), 2U);
    EXPECT_TRUE((*parts)[0].headers.empty());
    EXPECT_EQ((*parts)[0].body, "no headers here");
    EXPECT_EQ((*parts)[1].header("x-other"), "1");
    EXPECT_EQ((*parts)[1].body, "second");
}

TEST(ClientMultipart, DelimiterInsideALineIsContent) {
    const std::string body = "--x\r\n\r\nabc--x def\r\n--x--\r\n";
    const auto parts = parse_multipart("multipart/mixed; boundary=x", body);
    ASSERT_TRUE(parts.ok()) << parts.error().message;
    ASSERT_EQ(parts->size(), 1U);
    EXPECT_EQ((*parts)[0].body, "abc--x def");
}

TEST(ClientMultipart, Refusals) {
    EXPECT_FALSE(parse_multipart("application/pkcs8", "x").ok());
    EXPECT_FALSE(parse_multipart("multipart/mixed", "--x\r\n\r\na\r\n--x--").ok());
    // Truncated: no close delimiter.
    const auto truncated =
        parse_multipart("multipart/mixed; boundary=x", "--x\r\nContent-Type: a/b\r\n\r\nabc");
    ASSERT_FALSE(truncated.ok());
    EXPECT_EQ(truncated.error().kind, ErrorKind::protocol);
    EXPECT_FALSE(
        parse_multipart("multipart/mixed; boundary=x", "--x\r\nbad header\r\n\r\na\r\n--x--").ok());
}

// A serverkeygen answer in the RFC's shape, with `key_type` for the key part.
std::string keygen_body(const std::string& key_type, const Bytes& key_der, const Bytes& certs_der,
                        bool key_first) {
    const std::string key_part = "Content-Type: " + key_type +
                                 "\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                                 pki::base64_encode_lines(key_der) + "\r\n";
    const std::string cert_part =
        "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        pki::base64_encode_lines(certs_der) + "\r\n";
    const std::string first = key_first ? key_part : cert_part;
    const std::string second = key_first ? cert_part : key_part;
    return "--est\r\n" + first + "--est\r\n" + second + "--est--\r\n";
}

class ServerKeygenParse : public ::testing::Test {
  protected:
    void SetUp() override {
        ca_key_ = test::make_ec_key();
        ca_ = test::make_self_signed_ca("Test CA", ca_key_.get());
        device_key_ = test::make_ec_key();
        test::CaOptions leaf;
        leaf.ca = false;
        device_cert_ =
            test::make_certificate("device", device_key_.get(), ca_.get(), ca_key_.get(), leaf);
        // CA first, to check the issued certificate is put first.
        certs_der_ = *pki::certs_only_der({ca_.get(), device_cert_.get()});
        const std::string pem = test::private_key_pem(device_key_.get());
        pkcs8_der_ = *pem_decode(pem, "PRIVATE KEY");
    }

    Bytes envelope_to(EVP_PKEY* recipient_key, const Bytes& content) {
        test::CaOptions leaf;
        leaf.ca = false;
        auto recipient =
            test::make_certificate("csr-key", recipient_key, ca_.get(), ca_key_.get(), leaf);
        pki::X509StackPtr recipients(sk_X509_new_null());
        sk_X509_push(recipients.get(), pki::share(recipient.get()).release());
        pki::BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
        pki::CmsPtr cms(CMS_encrypt(recipients.get(), in.get(), EVP_aes_256_cbc(), CMS_BINARY));
        EXPECT_TRUE(cms);
        unsigned char* raw = nullptr;
        const int length = i2d_CMS_ContentInfo(cms.get(), &raw);
        pki::OpenSslBuffer<unsigned char> owned(raw);
        return Bytes(raw, raw + length);
    }

    pki::EvpPkeyPtr ca_key_;
    pki::X509Ptr ca_;
    pki::EvpPkeyPtr device_key_;
    pki::X509Ptr device_cert_;
    Bytes certs_der_;
    Bytes pkcs8_der_;
};

TEST_F(ServerKeygenParse, PlainKeyInBothOrders) {
    for (bool key_first : {true, false}) {
        const auto result = parse_serverkeygen_response(
            "multipart/mixed; boundary=est",
            keygen_body("application/pkcs8", pkcs8_der_, certs_der_, key_first));
        ASSERT_TRUE(result.ok()) << result.error().message;
        EXPECT_EQ(result->protection, KeyProtection::plain_pkcs8);
        EXPECT_EQ(result->key_der, pkcs8_der_);
        ASSERT_EQ(result->certificates.size(), 2U);
        const auto key = parse_private_key_der(result->key_der);
        ASSERT_TRUE(key.ok());
        EXPECT_TRUE(pki::same_public_key(key->get(), device_key_.get()));
    }
}

TEST_F(ServerKeygenParse, EnvelopedKeyInBothOrdersAndBothLabels) {
    const auto rsa = test::make_rsa_key(2048);
    const Bytes enveloped = envelope_to(rsa.get(), pkcs8_der_);
    for (const char* type : {"application/pkcs7-mime; smime-type=server-generated-key",
                             "application/pkcs8"}) {  // the guide's product's label
        for (bool key_first : {true, false}) {
            const auto result =
                parse_serverkeygen_response("multipart/mixed; boundary=\"est\"",
                                            keygen_body(type, enveloped, certs_der_, key_first));
            ASSERT_TRUE(result.ok()) << result.error().message;
            EXPECT_EQ(result->protection, KeyProtection::enveloped) << type;
            const auto key = decrypt_enveloped_key(result->key_der, rsa.get());
            ASSERT_TRUE(key.ok()) << key.error().message;
            EXPECT_TRUE(pki::same_public_key(key->get(), device_key_.get()));
        }
    }
}

TEST_F(ServerKeygenParse, DecryptsPemContentAndRefusesTheWrongKey) {
    const auto rsa = test::make_rsa_key(2048);
    const std::string pem = test::private_key_pem(device_key_.get());
    const Bytes enveloped = envelope_to(rsa.get(), Bytes(pem.begin(), pem.end()));
    const auto key = decrypt_enveloped_key(enveloped, rsa.get());
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_TRUE(pki::same_public_key(key->get(), device_key_.get()));

    const auto other = test::make_rsa_key(2048);
    EXPECT_FALSE(decrypt_enveloped_key(enveloped, other.get()).ok());
    EXPECT_FALSE(decrypt_enveloped_key(pkcs8_der_, rsa.get()).ok());
}

TEST_F(ServerKeygenParse, ReadsTheDaemonsOwnAnswers) {
    const auto rsa = test::make_rsa_key(2048);
    for (EVP_PKEY* recipient : {rsa.get(), static_cast<EVP_PKEY*>(nullptr)}) {
        const auto answer =
            est::serverkeygen_answer(device_key_.get(), device_cert_.get(), recipient);
        ASSERT_TRUE(answer.ok()) << answer.error().message;
        const auto result = parse_serverkeygen_response(answer->content_type, answer->body);
        ASSERT_TRUE(result.ok()) << result.error().message;
        ASSERT_EQ(result->certificates.size(), 1U);
        EXPECT_EQ(X509_cmp(result->certificates.front().get(), device_cert_.get()), 0);
        const auto key = recipient != nullptr ? decrypt_enveloped_key(result->key_der, rsa.get())
                                              : parse_private_key_der(result->key_der);
        EXPECT_EQ(result->protection,
                  recipient != nullptr ? KeyProtection::enveloped : KeyProtection::plain_pkcs8);
        ASSERT_TRUE(key.ok()) << key.error().message;
        EXPECT_TRUE(pki::same_public_key(key->get(), device_key_.get()));
    }
}

TEST_F(ServerKeygenParse, ServerAnswerInOneLineHasNoBreakInsideAPart) {
    const auto answer = est::serverkeygen_answer(device_key_.get(), device_cert_.get(), nullptr,
                                                 nullptr, pki::Base64Layout::single_line);
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    // Every line is a delimiter, a part header, a blank line or one whole
    // base64 part: only CRLF delimits, no LF inside a part.
    EXPECT_EQ(std::count(answer->body.begin(), answer->body.end(), '\n'),
              std::count(answer->body.begin(), answer->body.end(), '\r'));
    EXPECT_EQ(std::count(answer->body.begin(), answer->body.end(), '\n'), 2 * 4 + 2 + 1);
    const auto result = parse_serverkeygen_response(answer->content_type, answer->body);
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->certificates.size(), 1U);
    EXPECT_TRUE(parse_private_key_der(result->key_der).ok());
}

TEST_F(ServerKeygenParse, DecryptsAnEnvelopeForTheCsrKey) {
    const auto rsa = test::make_rsa_key(2048);
    const auto enveloped = pki::envelope_for_key(pkcs8_der_, rsa.get());
    ASSERT_TRUE(enveloped.ok()) << enveloped.error().message;
    const auto key = decrypt_enveloped_key(*enveloped, rsa.get());
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_TRUE(pki::same_public_key(key->get(), device_key_.get()));
}

TEST_F(ServerKeygenParse, RefusesMissingOrUnknownParts) {
    const std::string only_certs =
        "--est\r\nContent-Type: application/pkcs7-mime; smime-type=certs-only\r\n\r\n" +
        pki::base64_encode_lines(certs_der_) + "\r\n--est--\r\n";
    EXPECT_FALSE(parse_serverkeygen_response("multipart/mixed; boundary=est", only_certs).ok());
    const std::string unknown = keygen_body("text/plain", pkcs8_der_, certs_der_, true);
    EXPECT_FALSE(parse_serverkeygen_response("multipart/mixed; boundary=est", unknown).ok());
}

}  // namespace
}  // namespace estd::client
