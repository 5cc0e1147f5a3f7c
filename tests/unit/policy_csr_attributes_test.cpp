// csrattrs: the DER answer parses with `openssl asn1parse` and lists what the
// profile requires, in RFC 7030 §4.5.2 / RFC 8951 §4 / RFC 9908 shape.
#include <string>

#include <gtest/gtest.h>

#include "estd/pki/csr_attrs.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "estd/policy/csr_attributes.hpp"
#include "support/daemon.hpp"
#include "support/test_pki.hpp"

namespace estd::policy {
namespace {

using Type = config::KeyAlgorithm::Type;

// `openssl asn1parse -i` of `der`; the test fails when it does not parse.
std::string asn1parse(const pki::Bytes& der, const std::string& extra = {}) {
    const test::TempDir dir;
    const auto path = dir.write("attrs.der", der);
    auto result =
        testing::run_command("openssl asn1parse -inform DER -i " + extra + " -in '" + path + "'");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return result.output;
}

// The offset asn1parse prints for the first line containing `needle`.
std::string offset_of(const std::string& parsed, const std::string& needle) {
    const auto at = parsed.find(needle);
    if (at == std::string::npos) {
        return "-1";
    }
    const auto line_start = parsed.rfind('\n', at) + 1;
    const auto colon = parsed.find(':', line_start);
    return parsed.substr(line_start, colon - line_start);
}

config::CertificateProfileConfig wifi_profile() {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-wifi-eap-tls";
    cfg.allowed_key_algorithms =
        std::vector<config::KeyAlgorithm>{{Type::ec_p256, 0}, {Type::rsa, 2048}};
    cfg.allowed_ekus = std::vector<config::ExtendedKeyUsage>{{"clientAuth", "1.3.6.1.5.5.7.3.2"}};
    cfg.required_csr_attributes = {config::RequiredAttribute::device_serial_number};
    cfg.max_ttl = std::chrono::seconds(31536000);
    return cfg;
}

// The baseline's key algorithms are a requirement too (RFC 7030 §4.5.2):
// without a certificate profile, or with ALLOWED_KEY_ALGORITHMS unset, the
// answer lists them (RSA-2048+, P-256, P-384, Ed25519) and nothing else.
TEST(CsrAttributes, WithoutAKeyListTheBaselineAlgorithmsAreListed) {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-defaults";
    const CertificateProfile defaults(cfg);
    for (const CertificateProfile* profile :
         {static_cast<const CertificateProfile*>(nullptr), &defaults}) {
        auto der = csr_attributes_der(profile, false);
        ASSERT_TRUE(der) << der.error().message;
        ASSERT_FALSE(der->empty());
        const auto parsed = asn1parse(*der);
        const auto at = [&](const char* needle) { return parsed.find(needle); };
        EXPECT_LT(at(":rsaEncryption"), at(":id-ecPublicKey")) << parsed;
        EXPECT_NE(parsed.find("INTEGER           :0800"), std::string::npos) << parsed;
        EXPECT_LT(at(":id-ecPublicKey"), at(":prime256v1")) << parsed;
        EXPECT_NE(at(":secp384r1"), std::string::npos) << parsed;
        EXPECT_NE(at(":ED25519"), std::string::npos) << parsed;
        EXPECT_EQ(at(":secp521r1"), std::string::npos) << parsed;
        EXPECT_EQ(at("challengePassword"), std::string::npos) << parsed;
        EXPECT_EQ(at("Extension Request"), std::string::npos) << parsed;
    }
}

TEST(CsrAttributes, ChannelBindingListsChallengePassword) {
    auto der = csr_attributes_der(nullptr, true);
    ASSERT_TRUE(der);
    const auto parsed = asn1parse(*der);
    EXPECT_NE(parsed.find("cons: SEQUENCE"), std::string::npos) << parsed;
    EXPECT_NE(parsed.find("OBJECT            :challengePassword"), std::string::npos) << parsed;
}

TEST(CsrAttributes, WifiProfileListsKeysSerialAndEkuInOneExtensionRequest) {
    const CertificateProfile profile(wifi_profile());
    auto der = csr_attributes_der(&profile, true);
    ASSERT_TRUE(der) << der.error().message;
    const auto parsed = asn1parse(*der);
    // Order: challengePassword, key algorithms (preference order), required
    // attributes, then the one extensionRequest.
    const auto at = [&](const char* needle) { return parsed.find(needle); };
    EXPECT_NE(at(":challengePassword"), std::string::npos) << parsed;
    EXPECT_LT(at(":challengePassword"), at(":id-ecPublicKey")) << parsed;
    EXPECT_LT(at(":id-ecPublicKey"), at(":prime256v1")) << parsed;
    EXPECT_LT(at(":prime256v1"), at(":rsaEncryption")) << parsed;
    EXPECT_NE(parsed.find("INTEGER           :0800"), std::string::npos) << parsed;  // 2048
    EXPECT_LT(at(":rsaEncryption"), at(":serialNumber")) << parsed;
    EXPECT_LT(at(":serialNumber"), at(":Extension Request")) << parsed;
    EXPECT_NE(parsed.find(":X509v3 Extended Key Usage"), std::string::npos) << parsed;
    EXPECT_EQ(parsed.find(":X509v3 Extended Key Usage"),
              parsed.rfind(":X509v3 Extended Key Usage"));
    EXPECT_EQ(at(":Extension Request"), parsed.rfind(":Extension Request"));
    // The attribute values are SETs (RFC 8951 §4's correction).
    EXPECT_NE(parsed.find(" SET "), std::string::npos) << parsed;

    // Inside the extension's OCTET STRING: exactly clientAuth.
    const auto eku_value = offset_of(parsed, "[HEX DUMP]");
    const auto inner = asn1parse(*der, "-strparse " + eku_value);
    EXPECT_NE(inner.find(":TLS Web Client Authentication"), std::string::npos) << inner;
    EXPECT_EQ(inner.find(":TLS Web Server Authentication"), std::string::npos) << inner;
}

TEST(CsrAttributes, CurvesShareOneAttributeAndEd25519IsABareOid) {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-iot";
    cfg.allowed_key_algorithms = std::vector<config::KeyAlgorithm>{
        {Type::ed25519, 0}, {Type::ec_p256, 0}, {Type::ec_p384, 0}};
    cfg.must_staple = true;
    const CertificateProfile profile(cfg);
    auto der = csr_attributes_der(&profile, false);
    ASSERT_TRUE(der) << der.error().message;
    const auto parsed = asn1parse(*der);
    EXPECT_LT(parsed.find(":ED25519"), parsed.find(":id-ecPublicKey")) << parsed;
    EXPECT_EQ(parsed.find(":id-ecPublicKey"), parsed.rfind(":id-ecPublicKey")) << parsed;
    // Both curves in the one attribute's SET (DER orders a SET by encoding).
    EXPECT_LT(parsed.find(":id-ecPublicKey"), parsed.find(":prime256v1")) << parsed;
    EXPECT_LT(parsed.find(":id-ecPublicKey"), parsed.find(":secp384r1")) << parsed;
    EXPECT_EQ(parsed.find("challengePassword"), std::string::npos);
    EXPECT_EQ(parsed.find("Extended Key Usage"), std::string::npos);  // ALLOWED_EKUS not set
    EXPECT_NE(parsed.find(":TLS Feature"), std::string::npos) << parsed;
}

TEST(CsrAttrsBuilder, EncodesTheRfc7030Example) {
    // RFC 7030 §4.5.2's example, built through the same API.
    pki::CsrAttrsBuilder builder;
    ASSERT_TRUE(builder.add_oid(NID_pkcs9_challengePassword));
    ASSERT_TRUE(builder.add_attribute_with_oids(NID_X9_62_id_ecPublicKey, {NID_secp384r1}));
    ASSERT_TRUE(builder.add_oid(NID_ecdsa_with_SHA384));
    auto der = builder.der();
    ASSERT_TRUE(der);
    const pki::Bytes expected = {0x30, 0x29, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
                                 0x09, 0x07, 0x30, 0x12, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                 0x02, 0x01, 0x31, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,
                                 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
    EXPECT_EQ(*der, expected);
}

}  // namespace
}  // namespace estd::policy
