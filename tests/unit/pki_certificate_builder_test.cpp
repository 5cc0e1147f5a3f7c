#include <array>
#include <chrono>
#include <set>

#include <gtest/gtest.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "support/test_pki.hpp"

namespace estd::pki {
namespace {

using namespace std::chrono_literals;

X509NamePtr name_with_cn(const std::string& common_name) {
    X509NamePtr name(X509_NAME_new());
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    return name;
}

GeneralNamesPtr dns_names(const std::vector<std::string>& hosts) {
    GeneralNamesPtr names(GENERAL_NAMES_new());
    for (const auto& host : hosts) {
        GENERAL_NAME* name = GENERAL_NAME_new();
        ASN1_IA5STRING* text = ASN1_IA5STRING_new();
        ASN1_STRING_set(text, host.data(), static_cast<int>(host.size()));
        GENERAL_NAME_set0_value(name, GEN_DNS, text);
        sk_GENERAL_NAME_push(names.get(), name);
    }
    return names;
}

CertificateTemplate basic_template(EVP_PKEY* subject_key, const std::string& common_name) {
    CertificateTemplate tmpl;
    tmpl.subject = name_with_cn(common_name);
    tmpl.public_key = share(subject_key);
    tmpl.not_before = std::chrono::system_clock::now() - 5min;
    tmpl.not_after = std::chrono::system_clock::now() + std::chrono::days(30);
    return tmpl;
}

int extension_criticality(X509* cert, int nid) {
    const int index = X509_get_ext_by_NID(cert, nid, -1);
    return index < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(cert, index));
}

std::string extension_text(X509* cert, int nid) {
    const int index = X509_get_ext_by_NID(cert, nid, -1);
    if (index < 0) {
        return {};
    }
    const BioPtr bio(BIO_new(BIO_s_mem()));
    X509V3_EXT_print(bio.get(), X509_get_ext(cert, index), 0, 0);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

class PkiCertificateBuilder : public ::testing::Test {
  protected:
    void SetUp() override {
        ca_key = test::make_ec_key();
        ca = test::make_self_signed_ca("Builder CA", ca_key.get());
    }

    X509Ptr build(const CertificateTemplate& tmpl) {
        auto cert = build_certificate(tmpl, ca.get(), ca_key.get());
        EXPECT_TRUE(cert.ok()) << (cert.ok() ? "" : cert.error().message);
        return cert.ok() ? std::move(cert).value() : nullptr;
    }

    EvpPkeyPtr ca_key;
    X509Ptr ca;
};

TEST_F(PkiCertificateBuilder, IssuesAnEndEntityThatVerifiesAgainstTheCa) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "device-1");
    const auto cert = build(tmpl);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(test::verify_certificate(cert.get(), ca.get()), X509_V_OK);
    EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
    EXPECT_FALSE(is_ca(cert.get()));
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
    EXPECT_EQ(extension_criticality(cert.get(), NID_basic_constraints), 1);
    EXPECT_EQ(common_name(X509_get_subject_name(cert.get())), "device-1");
    EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(ca.get())), 0);
    EXPECT_TRUE(same_public_key(X509_get0_pubkey(cert.get()), key.get()));
}

TEST_F(PkiCertificateBuilder, CopiedPublicKeyInfoCarriesTheSameKey) {
    for (const auto& key :
         {test::make_ec_key(), test::make_ec_key("P-384"), test::make_rsa_key()}) {
        X509Ptr holder(X509_new());
        ASSERT_EQ(X509_set_pubkey(holder.get(), key.get()), 1);
        auto tmpl = basic_template(key.get(), "device-1");
        tmpl.public_key_info = copy_public_key_info(X509_get_X509_PUBKEY(holder.get()));
        ASSERT_NE(tmpl.public_key_info, nullptr);
        const auto cert = build(tmpl);
        ASSERT_NE(cert, nullptr);
        // What a client sees: the encoded certificate, decoded again.
        auto parsed = parse_certificate_der(certificate_der(cert.get()));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(test::verify_certificate(parsed->get(), ca.get()), X509_V_OK);
        EXPECT_TRUE(same_public_key(X509_get0_pubkey(parsed->get()), key.get()));
        EXPECT_EQ(X509_check_purpose(parsed->get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
    }
}

TEST_F(PkiCertificateBuilder, ValidityComesFromTheTemplate) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "device-1");
    const auto start = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    tmpl.not_before = start;
    tmpl.not_after = start + std::chrono::days(7);
    const auto cert = build(tmpl);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(not_before(cert.get()), start);
    EXPECT_EQ(not_after(cert.get()), start + std::chrono::days(7));
}

TEST_F(PkiCertificateBuilder, RefusesEmptyValidity) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "device-1");
    tmpl.not_after = tmpl.not_before;
    EXPECT_FALSE(build_certificate(tmpl, ca.get(), ca_key.get()).ok());
}

TEST_F(PkiCertificateBuilder, KeyUsageFitsTheSubjectKeyType) {
    const auto ec = test::make_ec_key();
    const auto rsa = test::make_rsa_key(2048);
    const auto ed = test::make_ed25519_key();
    EXPECT_EQ(key_usage_for(ec.get()), KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT);
    EXPECT_EQ(key_usage_for(rsa.get()), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
    EXPECT_EQ(key_usage_for(ed.get()), KU_DIGITAL_SIGNATURE);

    for (EVP_PKEY* key : {ec.get(), rsa.get(), ed.get()}) {
        const auto cert = build(basic_template(key, "device"));
        ASSERT_NE(cert, nullptr);
        EXPECT_EQ(extension_criticality(cert.get(), NID_key_usage), 1);
        ASSERT_NE(X509_get_extension_flags(cert.get()) & EXFLAG_KUSAGE, 0U);
        EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(key_usage_for(key)));
        EXPECT_EQ(test::verify_certificate(cert.get(), ca.get()), X509_V_OK);
    }
    EXPECT_EQ(extension_text(build(basic_template(rsa.get(), "r")).get(), NID_key_usage),
              "Digital Signature, Key Encipherment");
}

TEST_F(PkiCertificateBuilder, SignatureDigestFitsTheSigningKey) {
    EXPECT_EQ(signature_digest_for(test::make_ec_key("P-256").get()), EVP_sha256());
    EXPECT_EQ(signature_digest_for(test::make_ec_key("P-384").get()), EVP_sha384());
    EXPECT_EQ(signature_digest_for(test::make_ec_key("P-521").get()), EVP_sha512());
    EXPECT_EQ(signature_digest_for(test::make_rsa_key(2048).get()), EVP_sha256());
    EXPECT_EQ(signature_digest_for(test::make_ed25519_key().get()), nullptr);
}

TEST_F(PkiCertificateBuilder, ExtendedKeyUsageWhenRequested) {
    const auto key = test::make_ec_key();
    auto plain = build(basic_template(key.get(), "plain"));
    EXPECT_EQ(X509_get_ext_by_NID(plain.get(), NID_ext_key_usage, -1), -1);

    auto tmpl = basic_template(key.get(), "eku");
    tmpl.extended_key_usages = {"clientAuth", "serverAuth", "1.3.6.1.4.1.55555.1.2"};
    const auto cert = build(tmpl);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(extension_criticality(cert.get(), NID_ext_key_usage), 0);
    EXPECT_EQ(X509_get_extended_key_usage(cert.get()), XKU_SSL_CLIENT | XKU_SSL_SERVER);
    EXPECT_NE(extension_text(cert.get(), NID_ext_key_usage).find("1.3.6.1.4.1.55555.1.2"),
              std::string::npos);
}

TEST_F(PkiCertificateBuilder, UnknownExtendedKeyUsageIsRefused) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "eku");
    tmpl.extended_key_usages = {"notAnEku"};
    const auto cert = build_certificate(tmpl, ca.get(), ca_key.get());
    ASSERT_FALSE(cert.ok());
    EXPECT_NE(cert.error().message.find("notAnEku"), std::string::npos);
}

TEST_F(PkiCertificateBuilder, CopiesSubjectAltNames) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "san");
    tmpl.subject_alt_names = dns_names({"a.example", "b.example"});
    const auto cert = build(tmpl);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(subject_alt_names(cert.get()),
              (std::vector<std::string>{"DNS:a.example", "DNS:b.example"}));
    EXPECT_EQ(extension_criticality(cert.get(), NID_subject_alt_name), 0);
}

TEST_F(PkiCertificateBuilder, SubjectAltNameIsCriticalWhenTheSubjectIsEmpty) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "unused");
    tmpl.subject.reset(X509_NAME_new());
    tmpl.subject_alt_names = dns_names({"only.example"});
    const auto cert = build(tmpl);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(cert.get())), 0);
    EXPECT_EQ(extension_criticality(cert.get(), NID_subject_alt_name), 1);
    EXPECT_EQ(test::verify_certificate(cert.get(), ca.get()), X509_V_OK);
}

TEST_F(PkiCertificateBuilder, RefusesNeitherSubjectNorSubjectAltName) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "unused");
    tmpl.subject.reset();
    const auto cert = build_certificate(tmpl, ca.get(), ca_key.get());
    ASSERT_FALSE(cert.ok());
    EXPECT_EQ(cert.error().kind, ErrorKind::bad_request);
}

TEST_F(PkiCertificateBuilder, SerialIsRandomPositiveAndAbout128Bits) {
    const auto key = test::make_ec_key();
    std::set<std::string> serials;
    for (int i = 0; i < 20; ++i) {
        const auto cert = build(basic_template(key.get(), "serial"));
        ASSERT_NE(cert, nullptr);
        const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
        EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER) << "positive";
        EXPECT_LE(ASN1_STRING_length(serial), 16);
        EXPECT_GE(ASN1_STRING_length(serial), 8);
        serials.insert(serial_hex(cert.get()));
    }
    EXPECT_EQ(serials.size(), 20U);
}

TEST_F(PkiCertificateBuilder, KeyIdentifiersLinkToTheIssuer) {
    const auto key = test::make_ec_key();
    const auto cert = build(basic_template(key.get(), "kid"));
    ASSERT_NE(cert, nullptr);
    const ASN1_OCTET_STRING* subject_key_id = X509_get0_subject_key_id(cert.get());
    ASSERT_NE(subject_key_id, nullptr);
    EXPECT_EQ(ASN1_STRING_length(subject_key_id), 20);
    const ASN1_OCTET_STRING* authority_key_id = X509_get0_authority_key_id(cert.get());
    ASSERT_NE(authority_key_id, nullptr);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(authority_key_id, X509_get0_subject_key_id(ca.get())), 0);
}

TEST_F(PkiCertificateBuilder, AuthorityKeyIdComputedWhenTheIssuerHasNoSki) {
    test::CaOptions options;
    options.subject_key_id = false;
    const auto bare_key = test::make_ec_key();
    const auto bare_ca =
        test::make_certificate("Bare CA", bare_key.get(), nullptr, nullptr, options);
    ASSERT_EQ(X509_get0_subject_key_id(bare_ca.get()), nullptr);
    const auto key = test::make_ec_key();
    const auto cert =
        build_certificate(basic_template(key.get(), "kid"), bare_ca.get(), bare_key.get());
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    ASSERT_NE(X509_get0_authority_key_id(cert->get()), nullptr);
    EXPECT_EQ(ASN1_STRING_length(X509_get0_authority_key_id(cert->get())), 20);
    EXPECT_EQ(test::verify_certificate(cert->get(), bare_ca.get()), X509_V_OK);
}

TEST_F(PkiCertificateBuilder, CrlDistributionPointsAndAuthorityInfoAccess) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "urls");
    tmpl.crl_distribution_points = {"http://pki.example/crls/iss-local.crl"};
    tmpl.ocsp_urls = {"http://ocsp.example"};
    tmpl.ca_issuers_urls = {"http://pki.example/ca.crt"};
    const auto cert = build(tmpl);
    ASSERT_NE(cert, nullptr);
    EXPECT_NE(extension_text(cert.get(), NID_crl_distribution_points)
                  .find("URI:http://pki.example/crls/iss-local.crl"),
              std::string::npos);
    const std::string access = extension_text(cert.get(), NID_info_access);
    EXPECT_NE(access.find("OCSP - URI:http://ocsp.example"), std::string::npos) << access;
    EXPECT_NE(access.find("CA Issuers - URI:http://pki.example/ca.crt"), std::string::npos)
        << access;

    const auto plain = build(basic_template(key.get(), "plain"));
    EXPECT_EQ(X509_get_ext_by_NID(plain.get(), NID_crl_distribution_points, -1), -1);
    EXPECT_EQ(X509_get_ext_by_NID(plain.get(), NID_info_access, -1), -1);
}

TEST_F(PkiCertificateBuilder, MustStapleIsTlsFeatureStatusRequest) {
    const auto key = test::make_ec_key();
    auto tmpl = basic_template(key.get(), "staple");
    tmpl.must_staple = true;
    const auto cert = build(tmpl);
    ASSERT_NE(cert, nullptr);
    const int index = X509_get_ext_by_NID(cert.get(), NID_tlsfeature, -1);
    ASSERT_GE(index, 0);
    X509_EXTENSION* extension = X509_get_ext(cert.get(), index);
    EXPECT_EQ(X509_EXTENSION_get_critical(extension), 0);
    std::array<char, 64> oid{};
    OBJ_obj2txt(oid.data(), static_cast<int>(oid.size()), X509_EXTENSION_get_object(extension), 1);
    EXPECT_STREQ(oid.data(), "1.3.6.1.5.5.7.1.24");
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
    const Bytes expected{0x30, 0x03, 0x02, 0x01, 0x05};  // SEQUENCE { INTEGER 5 }
    EXPECT_EQ(Bytes(ASN1_STRING_get0_data(value),
                    ASN1_STRING_get0_data(value) + ASN1_STRING_length(value)),
              expected);

    const auto plain = build(basic_template(key.get(), "plain"));
    EXPECT_EQ(X509_get_ext_by_NID(plain.get(), NID_tlsfeature, -1), -1);
}

TEST_F(PkiCertificateBuilder, SignsWithRsaAndEd25519Cas) {
    for (const auto& issuer_key : {test::make_rsa_key(2048), test::make_ed25519_key()}) {
        const auto issuer = test::make_self_signed_ca("Other CA", issuer_key.get());
        const auto key = test::make_ec_key();
        const auto cert =
            build_certificate(basic_template(key.get(), "x"), issuer.get(), issuer_key.get());
        ASSERT_TRUE(cert.ok()) << cert.error().message;
        EXPECT_EQ(test::verify_certificate(cert->get(), issuer.get()), X509_V_OK);
    }
}

TEST_F(PkiCertificateBuilder, VerifiesThroughAnIntermediate) {
    const auto sub_key = test::make_ec_key("P-384");
    const auto sub = test::make_intermediate("Sub CA", sub_key.get(), ca.get(), ca_key.get());
    const auto key = test::make_ec_key();
    const auto cert =
        build_certificate(basic_template(key.get(), "leaf"), sub.get(), sub_key.get());
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    EXPECT_EQ(X509_get_signature_nid(cert->get()), NID_ecdsa_with_SHA384);
    EXPECT_EQ(test::verify_certificate(cert->get(), ca.get(), {sub.get()}), X509_V_OK);
    EXPECT_NE(test::verify_certificate(cert->get(), ca.get()), X509_V_OK);
}

}  // namespace
}  // namespace estd::pki
