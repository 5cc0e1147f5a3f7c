#include <chrono>

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "estd/pki/certificate.hpp"
#include "support/test_pki.hpp"

namespace estd::pki {
namespace {

using namespace std::chrono_literals;

TEST(PkiCertificate, LoadsEveryCertificateOfAPemFileInOrder) {
    const auto root_key = test::make_ec_key();
    const auto root = test::make_self_signed_ca("Files Root", root_key.get());
    const auto sub_key = test::make_ec_key();
    const auto sub =
        test::make_intermediate("Files Sub", sub_key.get(), root.get(), root_key.get());
    const test::TempDir dir;
    const std::string path =
        dir.write("chain.pem", test::certificates_pem({sub.get(), root.get()}));

    const auto certs = load_certificates_file(path);
    ASSERT_TRUE(certs.ok()) << certs.error().message;
    ASSERT_EQ(certs->size(), 2U);
    EXPECT_EQ(common_name(X509_get_subject_name((*certs)[0].get())), "Files Sub");
    EXPECT_EQ(common_name(X509_get_subject_name((*certs)[1].get())), "Files Root");
}

TEST(PkiCertificate, LoadsADerCertificateFile) {
    const auto key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("DER CA", key.get());
    const test::TempDir dir;
    const auto certs = load_certificates_file(dir.write("ca.der", certificate_der(ca.get())));
    ASSERT_TRUE(certs.ok()) << certs.error().message;
    ASSERT_EQ(certs->size(), 1U);
    EXPECT_EQ(X509_cmp((*certs)[0].get(), ca.get()), 0);
}

TEST(PkiCertificate, FileErrorsNameTheFile) {
    const test::TempDir dir;
    const std::string missing = (dir.path() / "missing.pem").string();
    const auto absent = load_certificates_file(missing);
    ASSERT_FALSE(absent.ok());
    EXPECT_NE(absent.error().message.find(missing), std::string::npos) << absent.error().message;

    const std::string junk = dir.write("junk.pem", std::string("not a certificate\n"));
    const auto unparsable = load_certificates_file(junk);
    ASSERT_FALSE(unparsable.ok());
    EXPECT_NE(unparsable.error().message.find(junk), std::string::npos);

    const std::string corrupt =
        dir.write("corrupt.pem",
                  std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
    const auto broken = load_certificates_file(corrupt);
    ASSERT_FALSE(broken.ok());
    EXPECT_NE(broken.error().message.find(corrupt), std::string::npos);

    const auto no_key = load_private_key_file(junk);
    ASSERT_FALSE(no_key.ok());
    EXPECT_NE(no_key.error().message.find(junk), std::string::npos);
}

TEST(PkiCertificate, LoadsEcRsaAndEd25519PrivateKeys) {
    const test::TempDir dir;
    for (const auto& key :
         {test::make_ec_key(), test::make_rsa_key(2048), test::make_ed25519_key()}) {
        const auto loaded =
            load_private_key_file(dir.write("key.pem", test::private_key_pem(key.get())));
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        EXPECT_TRUE(same_public_key(loaded->get(), key.get()));
    }
}

TEST(PkiCertificate, RefusesEncryptedPrivateKeyWithoutPrompting) {
    const auto key = test::make_ec_key();
    const BioPtr bio(BIO_new(BIO_s_mem()));
    const std::string passphrase = "secret";
    ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), nullptr, 0,
                                            nullptr, const_cast<char*>(passphrase.c_str())),
              1);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    const test::TempDir dir;
    const auto loaded = load_private_key_file(
        dir.write("enc.pem", std::string(data, static_cast<std::size_t>(length))));
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("encrypted"), std::string::npos)
        << loaded.error().message;
}

TEST(PkiCertificate, DerRoundTripAndTrailingDataRefused) {
    const auto key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("Round Trip", key.get());
    Bytes der = certificate_der(ca.get());
    const auto parsed = parse_certificate_der(der);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(X509_cmp(parsed->get(), ca.get()), 0);
    der.push_back(0);
    EXPECT_FALSE(parse_certificate_der(der).ok());
    EXPECT_FALSE(parse_certificate_der(std::span(der).first(10)).ok());
}

TEST(PkiCertificate, PemTextParsesBack) {
    const auto key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("PEM", key.get());
    const std::string pem = certificate_pem(ca.get());
    EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0U);
    const auto certs = parse_certificates_pem(pem);
    ASSERT_TRUE(certs.ok());
    ASSERT_EQ(certs->size(), 1U);
    EXPECT_EQ(X509_cmp((*certs)[0].get(), ca.get()), 0);
}

TEST(PkiCertificate, NamesSerialAndValidity) {
    const auto key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("Näme, with comma", key.get(), 10);
    EXPECT_EQ(common_name(X509_get_subject_name(ca.get())), "Näme, with comma");
    EXPECT_EQ(name_to_string(X509_get_subject_name(ca.get())), "CN=Näme\\, with comma");

    ASSERT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(ca.get()), 0x1A2B), 1);
    EXPECT_EQ(serial_hex(ca.get()), "1a2b");

    const auto now = std::chrono::system_clock::now();
    EXPECT_LT(not_before(ca.get()), now);
    EXPECT_GT(not_before(ca.get()), now - 2h);
    EXPECT_GT(not_after(ca.get()), now + std::chrono::days(9));
    EXPECT_LT(not_after(ca.get()), now + std::chrono::days(11));
}

TEST(PkiCertificate, FarFutureNotAfterDoesNotWrapAround) {
    const auto key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("Forever", key.get());
    ASSERT_EQ(ASN1_TIME_set_string(X509_getm_notAfter(ca.get()), "99991231235959Z"), 1);
    EXPECT_EQ(not_after(ca.get()), std::chrono::system_clock::time_point::max());
}

TEST(PkiCertificate, CommonNameOfNameWithoutCnIsEmpty) {
    const X509NamePtr name(X509_NAME_new());
    ASSERT_EQ(X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_ASC,
                                         reinterpret_cast<const unsigned char*>("Org"), -1, -1, 0),
              1);
    EXPECT_EQ(common_name(name.get()), "");
    EXPECT_EQ(name_to_string(name.get()), "O=Org");
}

TEST(PkiCertificate, IsCaDistinguishesCaFromEndEntity) {
    const auto key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("A CA", key.get());
    EXPECT_TRUE(is_ca(ca.get()));

    test::CaOptions leaf_options;
    leaf_options.ca = false;
    const auto leaf_key = test::make_ec_key();
    const auto leaf =
        test::make_certificate("leaf", leaf_key.get(), ca.get(), key.get(), leaf_options);
    EXPECT_FALSE(is_ca(leaf.get()));

    test::CaOptions no_cert_sign;
    no_cert_sign.key_cert_sign = false;
    const auto weak = test::make_certificate("weak", key.get(), nullptr, nullptr, no_cert_sign);
    EXPECT_FALSE(is_ca(weak.get()));
}

TEST(PkiCertificate, SubjectAltNamesInCertificateOrder) {
    const auto key = test::make_ec_key();
    test::CaOptions options;
    options.ca = false;
    options.subject_alt_names = {"DNS:host.example", "IP:10.1.2.3", "IP:::1", "email:a@b.example",
                                 "URI:https://x.example/p"};
    const auto cert = test::make_certificate("host", key.get(), nullptr, nullptr, options);
    EXPECT_EQ(subject_alt_names(cert.get()),
              (std::vector<std::string>{"DNS:host.example", "IP:10.1.2.3", "IP:::1",
                                        "email:a@b.example", "URI:https://x.example/p"}));
    const auto ca = test::make_self_signed_ca("No SAN", key.get());
    EXPECT_TRUE(subject_alt_names(ca.get()).empty());
}

TEST(PkiCertificate, SamePublicKeyComparesPublicHalves) {
    const auto key = test::make_ec_key();
    const auto other = test::make_ec_key();
    const auto rsa = test::make_rsa_key(2048);
    const auto ca = test::make_self_signed_ca("Key", key.get());
    EXPECT_TRUE(same_public_key(X509_get0_pubkey(ca.get()), key.get()));
    EXPECT_FALSE(same_public_key(X509_get0_pubkey(ca.get()), other.get()));
    EXPECT_FALSE(same_public_key(rsa.get(), key.get()));
    EXPECT_FALSE(same_public_key(nullptr, key.get()));
}

TEST(PkiCertificate, PublicKeyInfoAsCarriedEqualsTheKeysEncoding) {
    for (const auto& key :
         {test::make_ec_key(), test::make_ec_key("P-384"), test::make_rsa_key()}) {
        const auto ca = test::make_self_signed_ca("Key info", key.get());
        const Bytes carried = public_key_info_der(X509_get_X509_PUBKEY(ca.get()));
        EXPECT_FALSE(carried.empty());
        EXPECT_EQ(carried, public_key_info_der(key.get()));
    }
    EXPECT_TRUE(public_key_info_der(static_cast<const X509_PUBKEY*>(nullptr)).empty());
}

}  // namespace
}  // namespace estd::pki
