#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/pkcs7.hpp"
#include "support/test_pki.hpp"

namespace estd::pki {
namespace {

class PkiPkcs7 : public ::testing::Test {
  protected:
    void SetUp() override {
        root_key = test::make_ec_key();
        root = test::make_self_signed_ca("PKCS7 Root", root_key.get());
        intermediate_key = test::make_ec_key();
        intermediate = test::make_intermediate("PKCS7 Intermediate", intermediate_key.get(),
                                               root.get(), root_key.get());
    }

    EvpPkeyPtr root_key;
    X509Ptr root;
    EvpPkeyPtr intermediate_key;
    X509Ptr intermediate;
};

TEST_F(PkiPkcs7, RoundTripsCertificatesInOrder) {
    const auto der = certs_only_der({intermediate.get(), root.get()});
    ASSERT_TRUE(der.ok()) << der.error().message;
    const auto certs = parse_certs_only_der(*der);
    ASSERT_TRUE(certs.ok()) << certs.error().message;
    ASSERT_EQ(certs->size(), 2U);
    EXPECT_EQ(X509_cmp((*certs)[0].get(), intermediate.get()), 0);
    EXPECT_EQ(X509_cmp((*certs)[1].get(), root.get()), 0);
}

TEST_F(PkiPkcs7, ReadsEachCertificatesPublicKeyInfoInOrder) {
    const auto rsa_key = test::make_rsa_key();
    const auto rsa_leaf =
        test::make_intermediate("PKCS7 RSA", rsa_key.get(), root.get(), root_key.get());
    const auto der = certs_only_der({intermediate.get(), rsa_leaf.get(), root.get()});
    ASSERT_TRUE(der.ok()) << der.error().message;
    const auto infos = certs_only_public_key_infos(*der);
    ASSERT_TRUE(infos.ok()) << infos.error().message;
    ASSERT_EQ(infos->size(), 3U);
    EXPECT_EQ((*infos)[0], public_key_info_der(intermediate_key.get()));
    EXPECT_EQ((*infos)[1], public_key_info_der(rsa_key.get()));
    EXPECT_EQ((*infos)[2], public_key_info_der(root_key.get()));
}

TEST_F(PkiPkcs7, IsSignedDataWithNoSignersAndDetachedDataContent) {
    const auto der = certs_only_der({root.get()});
    ASSERT_TRUE(der.ok());
    const unsigned char* cursor = der->data();
    const Pkcs7Ptr p7(d2i_PKCS7(nullptr, &cursor, static_cast<long>(der->size())));
    ASSERT_NE(p7, nullptr);
    ASSERT_TRUE(PKCS7_type_is_signed(p7.get()));
    EXPECT_EQ(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info), 0);
    EXPECT_EQ(OBJ_obj2nid(p7->d.sign->contents->type), NID_pkcs7_data);
    EXPECT_EQ(p7->d.sign->contents->d.data, nullptr) << "content must be absent";
    EXPECT_EQ(ASN1_INTEGER_get(p7->d.sign->version), 1);
}

TEST_F(PkiPkcs7, RefusesEmptyCertificateList) {
    const auto der = certs_only_der({});
    EXPECT_FALSE(der.ok());
}

TEST_F(PkiPkcs7, ParseRefusesGarbageTruncationAndTrailingData) {
    const auto der = certs_only_der({root.get()});
    ASSERT_TRUE(der.ok());
    EXPECT_FALSE(parse_certs_only_der(std::span(*der).first(der->size() - 1)).ok());
    Bytes trailing = *der;
    trailing.push_back(0);
    EXPECT_FALSE(parse_certs_only_der(trailing).ok());
    const Bytes garbage{1, 2, 3, 4, 5};
    EXPECT_FALSE(parse_certs_only_der(garbage).ok());
    EXPECT_FALSE(parse_certs_only_der({}).ok());
    using Input = std::span<const std::uint8_t>;
    for (const Input bad :
         {Input(*der).first(der->size() - 1), Input(trailing), Input(garbage), Input{}}) {
        EXPECT_FALSE(certs_only_public_key_infos(bad).ok());
    }
}

TEST_F(PkiPkcs7, OpensslCliPrintsTheCertificates) {
    if (std::system("openssl version >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "openssl command not available";
    }
    const auto der = certs_only_der({intermediate.get(), root.get()});
    ASSERT_TRUE(der.ok());
    const test::TempDir dir;
    const std::string path = dir.write("cacerts.p7b", *der);
    const std::string command =
        "openssl pkcs7 -inform DER -print_certs -noout -in '" + path + "' 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    ASSERT_NE(pipe, nullptr);
    std::string output;
    std::array<char, 512> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) != nullptr) {
        output += buffer.data();
    }
    EXPECT_NE(output.find("PKCS7 Intermediate"), std::string::npos) << output;
    EXPECT_NE(output.find("PKCS7 Root"), std::string::npos) << output;
}

}  // namespace
}  // namespace estd::pki
