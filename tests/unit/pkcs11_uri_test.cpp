#include "estd/issuer/pkcs11_uri.hpp"

#include <string>

#include <gtest/gtest.h>

namespace estd::issuer {
namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

constexpr const char* kModule = "?module-path=/usr/lib/softhsm/libsofthsm2.so";

TEST(Pkcs11Uri, ParsesTokenObjectIdTypeAndModulePath) {
    const auto uri = parse_pkcs11_uri(
        "pkcs11:token=estd-test;object=ca-ec;id=%01%A2;type=private"
        "?module-path=/usr/lib/softhsm/libsofthsm2.so");
    ASSERT_TRUE(uri.ok()) << uri.error().message;
    EXPECT_EQ(uri->token, "estd-test");
    EXPECT_EQ(uri->object, "ca-ec");
    ASSERT_TRUE(uri->id.has_value());
    EXPECT_EQ(*uri->id, (std::vector<std::uint8_t>{0x01, 0xa2}));
    EXPECT_EQ(uri->module_path, "/usr/lib/softhsm/libsofthsm2.so");
    EXPECT_FALSE(uri->serial.has_value());
    EXPECT_EQ(uri->describe_key(), "object \"ca-ec\" id 01a2");
    EXPECT_EQ(uri->describe_token(), "token \"estd-test\"");
}

TEST(Pkcs11Uri, DecodesPercentEncodingInLabelsAndPaths) {
    const auto uri = parse_pkcs11_uri(
        "pkcs11:token=My%20CA%3bToken;object=issuing%2Fkey"
        "?module-path=/opt/vendor%20hsm/lib%3Fp11.so");
    ASSERT_TRUE(uri.ok()) << uri.error().message;
    EXPECT_EQ(uri->token, "My CA;Token");
    EXPECT_EQ(uri->object, "issuing/key");
    EXPECT_EQ(uri->module_path, "/opt/vendor hsm/lib?p11.so");
}

TEST(Pkcs11Uri, AcceptsOtherTokenAttributesAndAnUpperCaseScheme) {
    const auto uri = parse_pkcs11_uri(
        std::string("PKCS11:manufacturer=SoftHSM%20project;serial=8a3f;model=SoftHSM%20v2;"
                    "slot-id=42;id=%02") +
        kModule);
    ASSERT_TRUE(uri.ok()) << uri.error().message;
    EXPECT_EQ(uri->manufacturer, "SoftHSM project");
    EXPECT_EQ(uri->serial, "8a3f");
    EXPECT_EQ(uri->model, "SoftHSM v2");
    EXPECT_EQ(uri->slot_id, 42UL);
    EXPECT_FALSE(uri->token.has_value());
    EXPECT_FALSE(uri->object.has_value());
    EXPECT_EQ(uri->describe_key(), "id 02");
}

TEST(Pkcs11Uri, ToleratesEmptySeparators) {
    const auto uri = parse_pkcs11_uri(std::string("pkcs11:token=t;;object=k;") + kModule + "&");
    ASSERT_TRUE(uri.ok()) << uri.error().message;
    EXPECT_EQ(uri->object, "k");
}

TEST(Pkcs11Uri, RefusesAPinValueWithoutRepeatingIt) {
    for (const std::string& text :
         {std::string("pkcs11:token=t;object=k") + kModule + "&pin-value=987654",
          std::string("pkcs11:token=t;object=k;pin-value=987654") + kModule}) {
        const auto uri = parse_pkcs11_uri(text);
        ASSERT_FALSE(uri.ok()) << text;
        EXPECT_TRUE(contains(uri.error().message, "pin-value"));
        EXPECT_TRUE(contains(uri.error().message, "PKCS11_PIN_FILE"));
        EXPECT_FALSE(contains(uri.error().message, "987654"));
    }
}

TEST(Pkcs11Uri, RefusesPinSourceAndModuleName) {
    const auto pin_source =
        parse_pkcs11_uri(std::string("pkcs11:token=t;object=k") + kModule + "&pin-source=/pin");
    ASSERT_FALSE(pin_source.ok());
    EXPECT_TRUE(contains(pin_source.error().message, "pin-source"));

    const auto module_name = parse_pkcs11_uri("pkcs11:token=t;object=k?module-name=softhsm2");
    ASSERT_FALSE(module_name.ok());
    EXPECT_TRUE(contains(module_name.error().message, "module-name"));
    EXPECT_TRUE(contains(module_name.error().message, "module-path"));
}

TEST(Pkcs11Uri, RequiresAModulePathAndAKey) {
    const auto no_module = parse_pkcs11_uri("pkcs11:token=t;object=k");
    ASSERT_FALSE(no_module.ok());
    EXPECT_TRUE(contains(no_module.error().message, "module-path"));

    const auto no_key = parse_pkcs11_uri(std::string("pkcs11:token=t") + kModule);
    ASSERT_FALSE(no_key.ok());
    EXPECT_TRUE(contains(no_key.error().message, "object="));
    EXPECT_TRUE(contains(no_key.error().message, "id="));

    EXPECT_FALSE(parse_pkcs11_uri(std::string("pkcs11:token=t;object=") + kModule).ok());
    EXPECT_FALSE(parse_pkcs11_uri(std::string("pkcs11:token=t;id=") + kModule).ok());
}

TEST(Pkcs11Uri, RefusesTypesOtherThanPrivate) {
    const auto cert = parse_pkcs11_uri(std::string("pkcs11:token=t;object=k;type=cert") + kModule);
    ASSERT_FALSE(cert.ok());
    EXPECT_TRUE(contains(cert.error().message, "type"));
    EXPECT_TRUE(contains(cert.error().message, "private"));
}

TEST(Pkcs11Uri, RefusesUnknownDuplicateAndMalformedAttributes) {
    const auto unknown =
        parse_pkcs11_uri(std::string("pkcs11:token=t;object=k;library-version=1") + kModule);
    ASSERT_FALSE(unknown.ok());
    EXPECT_TRUE(contains(unknown.error().message, "library-version"));

    const auto unknown_query =
        parse_pkcs11_uri(std::string("pkcs11:token=t;object=k") + kModule + "&x-vendor=1");
    ASSERT_FALSE(unknown_query.ok());
    EXPECT_TRUE(contains(unknown_query.error().message, "x-vendor"));

    const auto twice = parse_pkcs11_uri(std::string("pkcs11:token=t;object=k;object=j") + kModule);
    ASSERT_FALSE(twice.ok());
    EXPECT_TRUE(contains(twice.error().message, "object twice"));

    const auto bare = parse_pkcs11_uri(std::string("pkcs11:token=t;object=k;123456") + kModule);
    ASSERT_FALSE(bare.ok());
    EXPECT_FALSE(contains(bare.error().message, "123456"));

    const auto bad_escape = parse_pkcs11_uri(std::string("pkcs11:token=t%2;object=k") + kModule);
    ASSERT_FALSE(bad_escape.ok());
    EXPECT_TRUE(contains(bad_escape.error().message, "token"));

    const auto bad_slot = parse_pkcs11_uri(std::string("pkcs11:slot-id=x1;object=k") + kModule);
    ASSERT_FALSE(bad_slot.ok());
    EXPECT_TRUE(contains(bad_slot.error().message, "slot-id"));
}

TEST(Pkcs11Uri, RefusesOtherSchemes) {
    const auto uri = parse_pkcs11_uri("file:///etc/ca.key");
    ASSERT_FALSE(uri.ok());
    EXPECT_TRUE(contains(uri.error().message, "pkcs11:"));
}

}  // namespace
}  // namespace estd::issuer
