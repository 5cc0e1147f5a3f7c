// EnvelopedData to a bare key, PKCS#8 encoding, key generation.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "estd/pki/cms.hpp"
#include "estd/pki/key_generation.hpp"
#include "estd/pki/pkcs8.hpp"
#include "support/daemon.hpp"
#include "support/test_pki.hpp"

namespace estd::pki {
namespace {

X509NamePtr name(const char* common_name) {
    X509NamePtr out(X509_NAME_new());
    X509_NAME_add_entry_by_txt(out.get(), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    return out;
}

Bytes decrypt(const Bytes& der, EVP_PKEY* key) {
    const unsigned char* cursor = der.data();
    CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(der.size())));
    EXPECT_TRUE(cms);
    BioPtr out(BIO_new(BIO_s_mem()));
    EXPECT_EQ(CMS_decrypt(cms.get(), key, nullptr, nullptr, out.get(), 0), 1);
    char* data = nullptr;
    const long length = BIO_get_mem_data(out.get(), &data);
    return Bytes(data, data + length);
}

TEST(PkiCms, EnvelopesToAnRsaKeyWithAes256AndIssuerAndSerial) {
    auto recipient = test::make_rsa_key(2048);
    const Bytes secret = {'k', 'e', 'y', 0, 1, 2, 3};
    auto der = envelope_for_key(secret, recipient.get(), name("sensor-9").get());
    ASSERT_TRUE(der) << der.error().message;
    EXPECT_EQ(decrypt(*der, recipient.get()), secret);

    const test::TempDir dir;
    const auto path = dir.write("env.der", *der);
    const auto printed =
        testing::run_command("openssl cms -cmsout -print -inform DER -in '" + path + "'");
    EXPECT_NE(printed.output.find("pkcs7-envelopedData"), std::string::npos) << printed.output;
    EXPECT_NE(printed.output.find("aes-256-cbc"), std::string::npos) << printed.output;
    EXPECT_NE(printed.output.find("d.issuerAndSerialNumber"), std::string::npos);
    EXPECT_NE(printed.output.find("CN=sensor-9"), std::string::npos);
    EXPECT_NE(printed.output.find("rsaEncryption"), std::string::npos);
}

TEST(PkiCms, RefusesNonRsaRecipients) {
    auto ec = test::make_ec_key();
    const Bytes secret = {1, 2, 3};
    auto der = envelope_for_key(secret, ec.get(), nullptr);
    ASSERT_FALSE(der);
    EXPECT_EQ(der.error().kind, ErrorKind::bad_request);
}

TEST(PkiPkcs8, RoundTripsEveryGeneratedKeyType) {
    std::vector<Result<EvpPkeyPtr>> keys;
    keys.push_back(generate_rsa_key(2048));
    keys.push_back(generate_ec_key("P-256"));
    keys.push_back(generate_ec_key("P-384"));
    keys.push_back(generate_ed25519_key());
    for (auto& key : keys) {
        ASSERT_TRUE(key) << key.error().message;
        auto der = private_key_pkcs8_der(key->get());
        ASSERT_TRUE(der) << der.error().message;
        const unsigned char* cursor = der->data();
        EvpPkeyPtr back(d2i_AutoPrivateKey(nullptr, &cursor, static_cast<long>(der->size())));
        ASSERT_TRUE(back);
        EXPECT_EQ(EVP_PKEY_eq(back.get(), key->get()), 1);
    }
}

TEST(PkiPkcs8, SecretBytesAreWipedInPlace) {
    SecretBytes bytes(4);
    std::fill(bytes.data(), bytes.data() + bytes.size(), 0xAB);
    bytes.wipe();
    EXPECT_TRUE(std::all_of(bytes.data(), bytes.data() + bytes.size(),
                            [](std::uint8_t b) { return b == 0; }));
}

}  // namespace
}  // namespace estd::pki
