#include <algorithm>

#include <gtest/gtest.h>
#include <openssl/core_names.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/csr.hpp"
#include "support/csr_extras.hpp"
#include "support/test_pki.hpp"

namespace estd::pki {
namespace {

using test::make_csr;

void expect_parses(EVP_PKEY* key) {
    const Bytes der = make_csr(key, "device-1", {"DNS:device-1.example.com"});
    const auto csr = Csr::from_der(der);
    ASSERT_TRUE(csr.ok()) << csr.error().message;
    EXPECT_EQ(common_name(csr->subject()), "device-1");
    EXPECT_TRUE(same_public_key(csr->public_key(), key));
    EXPECT_NE(csr->get(), nullptr);
}

TEST(PkiCsr, ParsesEcRequest) {
    const auto key = test::make_ec_key();
    expect_parses(key.get());
}

TEST(PkiCsr, ParsesEcP384Request) {
    const auto key = test::make_ec_key("P-384");
    expect_parses(key.get());
}

TEST(PkiCsr, ParsesRsaRequest) {
    const auto key = test::make_rsa_key(2048);
    expect_parses(key.get());
}

TEST(PkiCsr, ParsesEd25519Request) {
    const auto key = test::make_ed25519_key();
    expect_parses(key.get());
}

TEST(PkiCsr, ParsesEcP521Request) {
    const auto key = test::make_ec_key("P-521");
    expect_parses(key.get());
}

TEST(PkiCsr, ParsesCompressedEcPoint) {
    const auto key = test::make_ec_key();
    ASSERT_EQ(EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                             OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
              1);
    const Bytes der = make_csr(key.get(), "device-1");
    const auto csr = Csr::from_der(der);
    ASSERT_TRUE(csr.ok()) << csr.error().message;
    const unsigned char* point = nullptr;
    int length = 0;
    X509_PUBKEY_get0_param(nullptr, &point, &length, nullptr, csr->public_key_info());
    EXPECT_EQ(length, 33);  // compressed, as sent
    EXPECT_TRUE(same_public_key(csr->public_key(), key.get()));
}

// Curves other than P-256/384/521 take the library's decoder.
TEST(PkiCsr, ParsesRequestOnAnotherNamedCurve) {
    const auto key = test::make_ec_key("secp256k1");
    expect_parses(key.get());
}

TEST(PkiCsr, RefusesEcPointNotOnTheCurve) {
    const auto key = test::make_ec_key();
    Bytes der = make_csr(key.get(), "device-1");
    const auto parsed = Csr::from_der(der);
    ASSERT_TRUE(parsed.ok());
    const unsigned char* point = nullptr;
    int length = 0;
    X509_PUBKEY_get0_param(nullptr, &point, &length, nullptr, parsed->public_key_info());
    ASSERT_EQ(length, 65);
    const auto at = std::search(der.begin(), der.end(), point, point + length);
    ASSERT_NE(at, der.end());
    *(at + length - 1) ^= 0x01;  // the last byte of y
    const auto csr = Csr::from_der(der);
    ASSERT_FALSE(csr.ok());
    EXPECT_EQ(csr.error().kind, ErrorKind::bad_request);
    EXPECT_EQ(csr.error().message, "CSR public key cannot be read (unsupported key type?)");
}

// An RSAPublicKey followed by junk inside the key's BIT STRING, in a
// request the key itself signed.
TEST(PkiCsr, RefusesRsaKeyWithTrailingBytes) {
    const auto key = test::make_rsa_key(2048);
    const X509ReqPtr req(X509_REQ_new());
    ASSERT_EQ(X509_REQ_set_pubkey(req.get(), key.get()), 1);
    X509_PUBKEY* info = X509_REQ_get_X509_PUBKEY(req.get());
    const unsigned char* rsa_key = nullptr;
    int rsa_length = 0;
    ASSERT_EQ(X509_PUBKEY_get0_param(nullptr, &rsa_key, &rsa_length, nullptr, info), 1);
    const auto padded_length = static_cast<std::size_t>(rsa_length) + 2;
    auto* padded = static_cast<unsigned char*>(OPENSSL_malloc(padded_length));
    ASSERT_NE(padded, nullptr);
    std::copy_n(rsa_key, rsa_length, padded);
    padded[rsa_length] = 0x05;  // an encoded NULL after the key
    padded[rsa_length + 1] = 0x00;
    ASSERT_EQ(X509_PUBKEY_set0_param(info, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_NULL, nullptr,
                                     padded, static_cast<int>(padded_length)),
              1);
    ASSERT_GT(X509_REQ_sign(req.get(), key.get(), EVP_sha256()), 0);
    const int length = i2d_X509_REQ(req.get(), nullptr);
    ASSERT_GT(length, 0);
    Bytes der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    i2d_X509_REQ(req.get(), &cursor);
    const auto csr = Csr::from_der(der);
    ASSERT_FALSE(csr.ok());
    EXPECT_EQ(csr.error().message, "CSR public key cannot be read (unsupported key type?)");
}

void expect_bad_signature_refused(EVP_PKEY* key) {
    Bytes der = make_csr(key, "device-1");
    // The signature BIT STRING is the last element of the request.
    der.back() ^= 0x01;
    const auto csr = Csr::from_der(der);
    ASSERT_FALSE(csr.ok());
    EXPECT_EQ(csr.error().kind, ErrorKind::bad_request);
    EXPECT_EQ(csr.error().message, "CSR signature does not verify");
    EXPECT_TRUE(csr.error().audit_code.empty());
}

TEST(PkiCsr, RefusesFlippedSignatureByteEc) {
    const auto key = test::make_ec_key();
    expect_bad_signature_refused(key.get());
}

TEST(PkiCsr, RefusesFlippedSignatureByteRsa) {
    const auto key = test::make_rsa_key(2048);
    expect_bad_signature_refused(key.get());
}

TEST(PkiCsr, RefusesFlippedSignatureByteEd25519) {
    const auto key = test::make_ed25519_key();
    expect_bad_signature_refused(key.get());
}

TEST(PkiCsr, RefusesRequestSignedByAnotherKey) {
    const auto key = test::make_ec_key();
    const auto other = test::make_ec_key();
    // Same subject, different signer: splice the other request's signature in.
    const Bytes good = make_csr(key.get(), "device-1");
    const auto parsed = Csr::from_der(good);
    ASSERT_TRUE(parsed.ok());
    X509_REQ* req = X509_REQ_dup(parsed->get());
    ASSERT_NE(req, nullptr);
    const X509ReqPtr owned(req);
    ASSERT_GT(X509_REQ_set_pubkey(req, other.get()), 0);  // signature no longer matches
    const int length = i2d_X509_REQ(req, nullptr);
    ASSERT_GT(length, 0);
    Bytes der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    i2d_X509_REQ(req, &cursor);
    const auto csr = Csr::from_der(der);
    ASSERT_FALSE(csr.ok());
    EXPECT_EQ(csr.error().message, "CSR signature does not verify");
}

TEST(PkiCsr, RefusesTruncatedDer) {
    const auto key = test::make_ec_key();
    const Bytes der = make_csr(key.get(), "device-1");
    for (const std::size_t keep : {der.size() - 1, der.size() / 2, std::size_t{3}}) {
        const auto csr = Csr::from_der(std::span(der).first(keep));
        ASSERT_FALSE(csr.ok()) << "kept " << keep << " bytes";
        EXPECT_EQ(csr.error().kind, ErrorKind::bad_request);
        EXPECT_EQ(csr.error().message, "CSR is not valid DER (truncated or garbage)");
    }
}

TEST(PkiCsr, RefusesGarbage) {
    const Bytes garbage{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
    const auto csr = Csr::from_der(garbage);
    ASSERT_FALSE(csr.ok());
    EXPECT_EQ(csr.error().kind, ErrorKind::bad_request);
    EXPECT_EQ(csr.error().message, "CSR is not valid DER (truncated or garbage)");
}

TEST(PkiCsr, RefusesEmptyInput) {
    const auto csr = Csr::from_der({});
    ASSERT_FALSE(csr.ok());
    EXPECT_EQ(csr.error().kind, ErrorKind::bad_request);
}

TEST(PkiCsr, RefusesTrailingBytes) {
    const auto key = test::make_ec_key();
    Bytes der = make_csr(key.get(), "device-1");
    der.push_back(0x00);
    const auto csr = Csr::from_der(der);
    ASSERT_FALSE(csr.ok());
    EXPECT_EQ(csr.error().kind, ErrorKind::bad_request);
    EXPECT_EQ(csr.error().message, "CSR DER is followed by trailing data");
}

TEST(PkiCsr, RefusesACertificateInsteadOfARequest) {
    const auto key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("Some CA", key.get());
    const auto csr = Csr::from_der(certificate_der(ca.get()));
    ASSERT_FALSE(csr.ok());
    EXPECT_EQ(csr.error().kind, ErrorKind::bad_request);
}

TEST(PkiCsr, ExtractsSubjectAltNames) {
    const auto key = test::make_ec_key();
    const Bytes der = make_csr(key.get(), "device-1",
                               {"DNS:device-1.example.com", "IP:192.0.2.7", "IP:2001:db8::1",
                                "email:ops@example.com", "URI:urn:device:1"});
    const auto csr = Csr::from_der(der);
    ASSERT_TRUE(csr.ok()) << csr.error().message;
    EXPECT_EQ(
        csr->subject_alt_name_strings(),
        (std::vector<std::string>{"DNS:device-1.example.com", "IP:192.0.2.7", "IP:2001:db8::1",
                                  "email:ops@example.com", "URI:urn:device:1"}));
    const GeneralNamesPtr names = csr->subject_alt_names();
    ASSERT_NE(names, nullptr);
    EXPECT_EQ(sk_GENERAL_NAME_num(names.get()), 5);
}

TEST(PkiCsr, NoSubjectAltNameMeansNull) {
    const auto key = test::make_ec_key();
    const auto csr = Csr::from_der(make_csr(key.get(), "device-1"));
    ASSERT_TRUE(csr.ok());
    EXPECT_EQ(csr->subject_alt_names(), nullptr);
    EXPECT_TRUE(csr->subject_alt_name_strings().empty());
    const auto extensions = csr->requested_extensions();
    ASSERT_NE(extensions, nullptr);
    EXPECT_EQ(sk_X509_EXTENSION_num(extensions.get()), 0);
}

TEST(PkiCsr, ListsRequestedExtensions) {
    const auto key = test::make_ec_key();
    const auto csr = Csr::from_der(make_csr(key.get(), "device-1", {"DNS:a.example"}, std::nullopt,
                                            {{"extendedKeyUsage", "clientAuth"}}));
    ASSERT_TRUE(csr.ok());
    const auto extensions = csr->requested_extensions();
    ASSERT_EQ(sk_X509_EXTENSION_num(extensions.get()), 2);
    EXPECT_EQ(X509v3_get_ext_by_NID(extensions.get(), NID_ext_key_usage, -1), 1);
}

TEST(PkiCsr, ExtractsChallengePassword) {
    const auto key = test::make_ec_key();
    const std::string binding = "q2Xn4Lh+9T/0aBcDeFgHiJkLmNoPqRsTuVwXyZ012+4=";
    const auto csr = Csr::from_der(make_csr(key.get(), "device-1", {}, binding));
    ASSERT_TRUE(csr.ok()) << csr.error().message;
    EXPECT_EQ(csr->challenge_password(), binding);
}

TEST(PkiCsr, ExtractsUtf8ChallengePassword) {
    const auto key = test::make_ed25519_key();
    const std::string password = "pässwörd";
    const auto csr = Csr::from_der(make_csr(key.get(), "device-1", {}, password));
    ASSERT_TRUE(csr.ok()) << csr.error().message;
    EXPECT_EQ(csr->challenge_password(), password);
}

TEST(PkiCsr, NoChallengePasswordMeansNullopt) {
    const auto key = test::make_ec_key();
    const auto csr = Csr::from_der(make_csr(key.get(), "device-1"));
    ASSERT_TRUE(csr.ok());
    EXPECT_FALSE(csr->challenge_password().has_value());
}

TEST(PkiCsr, ExtractsOctetStringAttribute) {
    const auto key = test::make_ec_key();
    test::ExtendedCsrOptions options;
    options.common_name = "device-1";
    const Bytes binding(32, 0xab);
    options.octet_string_attributes.emplace_back("1.2.840.113549.1.9.16.2.56", binding);
    const auto csr = Csr::from_der(make_csr(key.get(), options));
    ASSERT_TRUE(csr.ok()) << csr.error().message;
    EXPECT_EQ(csr->octet_string_attribute("1.2.840.113549.1.9.16.2.56"), binding);
    EXPECT_FALSE(csr->octet_string_attribute("1.2.3.4").has_value());
    EXPECT_FALSE(csr->octet_string_attribute("not an oid").has_value());
    EXPECT_FALSE(csr->challenge_password().has_value());
}

TEST(PkiCsr, RequestWithoutSubjectParses) {
    const auto key = test::make_ec_key();
    const auto csr = Csr::from_der(make_csr(key.get(), "", {"DNS:only-san.example"}));
    ASSERT_TRUE(csr.ok()) << csr.error().message;
    EXPECT_EQ(X509_NAME_entry_count(csr->subject()), 0);
    EXPECT_EQ(common_name(csr->subject()), "");
    EXPECT_EQ(csr->subject_alt_name_strings(), std::vector<std::string>{"DNS:only-san.example"});
}

// A request that does not say one thing once is refused, not read as "none".
void expect_refused(const test::ExtendedCsrOptions& options, const std::string& needle) {
    const auto key = test::make_ec_key();
    const auto csr = Csr::from_der(make_csr(key.get(), options));
    ASSERT_FALSE(csr.ok()) << needle;
    EXPECT_EQ(csr.error().kind, ErrorKind::bad_request);
    EXPECT_NE(csr.error().message.find(needle), std::string::npos) << csr.error().message;
}

TEST(PkiCsr, RefusesTwoSubjectAltNameExtensions) {
    test::ExtendedCsrOptions options;
    options.common_name = "device";
    options.subject_alt_names = {"DNS:a.example.com"};
    options.raw_names = {{GEN_DNS, "b.example.com"}};
    expect_refused(options, "subjectAltName");
}

TEST(PkiCsr, RefusesTwoExtensionRequestAttributes) {
    test::ExtendedCsrOptions options;
    options.common_name = "device";
    options.subject_alt_names = {"DNS:a.example.com"};
    options.second_extension_request = {{"keyUsage", "digitalSignature"}};
    expect_refused(options, "extensionRequest");
}

TEST(PkiCsr, RefusesAVersionOtherThanV1) {
    for (const long version : {1L, 2L, 5L}) {
        test::ExtendedCsrOptions options;
        options.common_name = "device";
        options.version = version;
        expect_refused(options, "version");
    }
}

}  // namespace
}  // namespace estd::pki
