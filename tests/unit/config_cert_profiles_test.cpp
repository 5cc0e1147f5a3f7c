// Certificate profiles in the configuration: CERTCTL_CERT_PROFILE_<ID>_* and
// CERTCTL_CERT_PROFILES_FILE, every problem reported and named.
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "estd/config/config.hpp"

namespace estd::config {
namespace {

namespace fs = std::filesystem;
using Type = KeyAlgorithm::Type;

constexpr const char* kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
    for (const auto& line : lines) {
        if (line.find(needle) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string all(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
        out += "\n  " + line;
    }
    return out;
}

class CertProfilesConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / (std::string("estd-cert-profiles-") + info->name() +
                                            "-" + std::to_string(static_cast<long>(::getpid())));
        fs::create_directories(dir_);
        write("tls.crt", kPem);
        write("tls.key", "-----BEGIN PRIVATE KEY-----\n");
        write("ca.crt", kPem);
        write("ca.key", "-----BEGIN PRIVATE KEY-----\n");
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream(dir_ / name) << content;
        return path(name);
    }

    Environment base_env() const {
        return {
            {"CERTCTL_EST_ENABLED", "true"},
            {"CERTCTL_SERVER_TLS_CERT_PATH", path("tls.crt")},
            {"CERTCTL_SERVER_TLS_KEY_PATH", path("tls.key")},
            {"CERTCTL_CA_CERT_PATH", path("ca.crt")},
            {"CERTCTL_CA_KEY_PATH", path("ca.key")},
        };
    }

    // The guide's WiFi profile in variables, bound to the legacy EST profile.
    Environment wifi_env() const {
        auto env = base_env();
        env.insert({
            {"CERTCTL_CERT_PROFILES", "cp-wifi-eap-tls"},
            {"CERTCTL_EST_PROFILE_ID", "cp-wifi-eap-tls"},
            {"CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_ALLOWED_KEY_ALGORITHMS", "EC-P256, rsa-2048"},
            {"CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_ALLOWED_EKUS", "clientAuth"},
            {"CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_ALLOWED_SAN_TYPES", "dns,EMAIL"},
            {"CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_SAN_DNS_SUFFIXES", ".Corp.Example.com"},
            {"CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_SAN_EMAIL_DOMAINS", "@example.com"},
            {"CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_REQUIRED_CSR_ATTRIBUTES", "deviceSerialNumber"},
            {"CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_MAX_TTL_SECONDS", "31536000"},
            {"CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_MUST_STAPLE", "false"},
        });
        return env;
    }

    fs::path dir_;
};

TEST_F(CertProfilesConfigTest, WifiProfileFromVariables) {
    const auto result = load(wifi_env());
    ASSERT_TRUE(result.config) << all(result.problems);
    EXPECT_TRUE(result.warnings.size() == 1 && any_contains(result.warnings, "anonymous"))
        << all(result.warnings);
    const auto* wifi = result.config->find_certificate_profile("cp-wifi-eap-tls");
    ASSERT_NE(wifi, nullptr);
    EXPECT_EQ(wifi->defined_in, "environment");
    ASSERT_TRUE(wifi->allowed_key_algorithms);
    EXPECT_EQ(*wifi->allowed_key_algorithms,
              (std::vector<KeyAlgorithm>{{Type::ec_p256, 0}, {Type::rsa, 2048}}));
    ASSERT_TRUE(wifi->allowed_ekus);
    EXPECT_EQ(*wifi->allowed_ekus,
              (std::vector<ExtendedKeyUsage>{{"clientAuth", "1.3.6.1.5.5.7.3.2"}}));
    ASSERT_TRUE(wifi->allowed_san_types);
    EXPECT_EQ(*wifi->allowed_san_types, (std::vector<SanType>{SanType::dns, SanType::email}));
    EXPECT_EQ(wifi->san_dns_suffixes, std::vector<std::string>{"corp.example.com"});
    EXPECT_EQ(wifi->san_email_domains, std::vector<std::string>{"example.com"});
    EXPECT_EQ(wifi->required_csr_attributes,
              std::vector<RequiredAttribute>{RequiredAttribute::device_serial_number});
    EXPECT_EQ(wifi->max_ttl, std::chrono::seconds(31536000));
    EXPECT_FALSE(wifi->must_staple);

    const auto described = describe(*result.config);
    EXPECT_NE(described.find("cp-wifi-eap-tls (environment)"), std::string::npos) << described;
    EXPECT_NE(described.find("key algorithms: EC-P256, RSA-2048"), std::string::npos);
    EXPECT_NE(described.find("required CSR attributes: deviceSerialNumber"), std::string::npos);
}

TEST_F(CertProfilesConfigTest, UnsetSettingsStayUnset) {
    auto env = base_env();
    env["CERTCTL_CERT_PROFILES"] = "cp-plain";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << all(result.problems);
    const auto* plain = result.config->find_certificate_profile("cp-plain");
    ASSERT_NE(plain, nullptr);
    EXPECT_FALSE(plain->allowed_key_algorithms);
    EXPECT_FALSE(plain->allowed_ekus);
    EXPECT_FALSE(plain->allowed_san_types);
    EXPECT_FALSE(plain->max_ttl);
    EXPECT_TRUE(plain->required_csr_attributes.empty());
}

TEST_F(CertProfilesConfigTest, EveryBadValueIsReportedNamingItsVariable) {
    auto env = wifi_env();
    const std::string p = "CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_";
    env[p + "ALLOWED_KEY_ALGORITHMS"] = "EC-P256,DSA-1024,RSA-1024";
    env[p + "ALLOWED_EKUS"] = "clientAuth,fooAuth,anyExtendedKeyUsage,1.2.x";
    env[p + "ALLOWED_SAN_TYPES"] = "dns,x400";
    env[p + "SAN_DNS_SUFFIXES"] = "bad_domain.com";
    env[p + "REQUIRED_CSR_ATTRIBUTES"] = "deviceSerialNumber,shoeSize";
    env[p + "MAX_TTL_SECONDS"] = "a year";
    env[p + "MUST_STAPLE"] = "perhaps";
    const auto result = load(env);
    EXPECT_FALSE(result.config);
    const auto& problems = result.problems;
    EXPECT_EQ(problems.size(), 10u) << all(problems);
    for (const auto& [suffix, needle] : std::vector<std::pair<std::string, std::string>>{
             {"ALLOWED_KEY_ALGORITHMS", "\"DSA-1024\", which is not a known key algorithm"},
             {"ALLOWED_KEY_ALGORITHMS", "\"RSA-1024\": RSA-n needs a minimum size"},
             {"ALLOWED_EKUS", "\"fooAuth\", which is neither a known extended key usage"},
             {"ALLOWED_EKUS", "anyExtendedKeyUsage"},
             {"ALLOWED_EKUS", "\"1.2.x\""},
             {"ALLOWED_SAN_TYPES", "\"x400\", which is not a SAN type"},
             {"SAN_DNS_SUFFIXES", "\"bad_domain.com\", which is not a domain name"},
             {"REQUIRED_CSR_ATTRIBUTES", "\"shoeSize\", which is not a known CSR attribute"},
             {"MAX_TTL_SECONDS", "is not a whole number"},
             {"MUST_STAPLE", "is not a boolean"},
         }) {
        EXPECT_TRUE(any_contains(problems, p + suffix)) << suffix << all(problems);
        EXPECT_TRUE(any_contains(problems, needle)) << needle << all(problems);
    }
    EXPECT_TRUE(any_contains(problems, "certificate profile \"cp-wifi-eap-tls\": "));
}

TEST_F(CertProfilesConfigTest, DuplicatesAndEmptyListsAreRefused) {
    auto env = wifi_env();
    const std::string p = "CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_";
    env[p + "ALLOWED_KEY_ALGORITHMS"] = "RSA-2048,EC-P256,RSA-3072";
    env[p + "ALLOWED_EKUS"] = "clientAuth,1.3.6.1.5.5.7.3.2";
    env[p + "ALLOWED_SAN_TYPES"] = " , ";
    const auto result = load(env);
    EXPECT_TRUE(any_contains(result.problems, "ALLOWED_KEY_ALGORITHMS lists RSA more than once"))
        << all(result.problems);
    EXPECT_TRUE(any_contains(result.problems, "ALLOWED_EKUS lists clientAuth more than once"));
    EXPECT_TRUE(any_contains(result.problems, "ALLOWED_SAN_TYPES is set but lists nothing"));
}

TEST_F(CertProfilesConfigTest, ContradictionsAndUnknownVariablesAreWarnedAbout) {
    auto env = wifi_env();
    env["CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_ALLOWED_SAN_TYPES"] = "ip";
    env["CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_ALLOWED_EKU"] = "clientAuth";
    env["CERTCTL_CERT_PROFILE_CP_OTHER_MUST_STAPLE"] = "true";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << all(result.problems);
    EXPECT_TRUE(any_contains(result.warnings, "SAN_DNS_SUFFIXES has no effect"))
        << all(result.warnings);
    EXPECT_TRUE(any_contains(result.warnings, "SAN_EMAIL_DOMAINS has no effect"));
    EXPECT_TRUE(any_contains(result.warnings,
                             "unknown variable CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_ALLOWED_EKU"));
    EXPECT_TRUE(any_contains(result.warnings, "no certificate profile cp_other is listed"));
}

TEST_F(CertProfilesConfigTest, TheSampleFileLoadsAndMatchesTheVariables) {
    auto env = base_env();
    env["CERTCTL_CERT_PROFILES_FILE"] =
        std::string(ESTD_SOURCE_DIR) + "/config/cert-profiles.sample.json";
    env["CERTCTL_EST_PROFILE_ID"] = "cp-iot";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << all(result.problems);
    EXPECT_EQ(result.config->certificate_profile_ids,
              (std::vector<std::string>{"cp-wifi-eap-tls", "cp-iot", "cp-defaults"}));

    const auto from_variables = load(wifi_env());
    ASSERT_TRUE(from_variables.config);
    auto expected = *from_variables.config->find_certificate_profile("cp-wifi-eap-tls");
    auto actual = *result.config->find_certificate_profile("cp-wifi-eap-tls");
    EXPECT_EQ(actual.defined_in, env["CERTCTL_CERT_PROFILES_FILE"]);
    EXPECT_EQ(actual.allowed_key_algorithms, expected.allowed_key_algorithms);
    EXPECT_EQ(actual.allowed_ekus, expected.allowed_ekus);
    EXPECT_EQ(actual.allowed_san_types, expected.allowed_san_types);
    EXPECT_EQ(actual.san_dns_suffixes, expected.san_dns_suffixes);
    EXPECT_EQ(actual.san_email_domains, expected.san_email_domains);
    EXPECT_EQ(actual.required_csr_attributes, expected.required_csr_attributes);
    EXPECT_EQ(actual.max_ttl, expected.max_ttl);

    const auto* iot = result.config->find_certificate_profile("cp-iot");
    ASSERT_NE(iot, nullptr);
    EXPECT_TRUE(iot->must_staple);
    ASSERT_TRUE(iot->allowed_san_types);
    EXPECT_TRUE(iot->allowed_san_types->empty());  // "none"
    const auto* defaults = result.config->find_certificate_profile("cp-defaults");
    ASSERT_NE(defaults, nullptr);
    EXPECT_FALSE(defaults->allowed_key_algorithms);
}

TEST_F(CertProfilesConfigTest, BaselineWideningSettingsAreReadFromVariablesAndTheFile) {
    auto env = wifi_env();
    EXPECT_FALSE(load(env).config->find_certificate_profile("cp-wifi-eap-tls")->allow_wildcard_dns);
    env["CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_ALLOW_WILDCARD_DNS"] = "true";
    env["CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_ALLOW_SMALL_RSA_EXPONENT"] = "true";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << all(result.problems);
    const auto* wifi = result.config->find_certificate_profile("cp-wifi-eap-tls");
    EXPECT_TRUE(wifi->allow_wildcard_dns);
    EXPECT_TRUE(wifi->allow_small_rsa_exponent);

    auto file_env = base_env();
    file_env["CERTCTL_CERT_PROFILES_FILE"] = write("profiles.json", R"({
      "profiles": {
        "cp-a": {"allow_wildcard_dns": true, "allow_small_rsa_exponent": false},
        "cp-b": {"allow_wildcard_dns": "yes"}
      }
    })");
    const auto from_file = load(file_env);
    EXPECT_TRUE(
        any_contains(from_file.problems, "profiles.cp-b.allow_wildcard_dns must be true or false"))
        << all(from_file.problems);
    EXPECT_EQ(from_file.problems.size(), 1u) << all(from_file.problems);
}

TEST_F(CertProfilesConfigTest, FileProblemsNameTheMember) {
    auto env = base_env();
    env["CERTCTL_CERT_PROFILES_FILE"] = write("profiles.json", R"({
      "profiles": {
        "cp-a": {"allowed_ekus": "clientAuth", "max_ttl_seconds": -1, "mustStaple": true},
        "cp-b": {"allowed_key_algorithms": ["EC-P256", 7], "must_staple": "yes"},
        "Bad_Id": {}
      },
      "extra": 1
    })");
    const auto result = load(env);
    EXPECT_FALSE(result.config);
    const auto& problems = result.problems;
    EXPECT_TRUE(any_contains(problems, "profiles.cp-a.allowed_ekus must be an array of strings"))
        << all(problems);
    EXPECT_TRUE(any_contains(problems, "profiles.cp-a.max_ttl_seconds must be a whole number"));
    EXPECT_TRUE(any_contains(problems, "profiles.cp-a has an unknown member \"mustStaple\""));
    EXPECT_TRUE(any_contains(problems, "profiles.cp-b.allowed_key_algorithms[1] must be a string"));
    EXPECT_TRUE(any_contains(problems, "profiles.cp-b.must_staple must be true or false"));
    EXPECT_TRUE(any_contains(problems, "\"Bad_Id\" is not a valid certificate profile id"));
    EXPECT_TRUE(any_contains(problems, "unknown top-level member \"extra\""));
    EXPECT_EQ(problems.size(), 7u) << all(problems);
}

TEST_F(CertProfilesConfigTest, InvalidOrUnreadableFilesRefuseTheBoot) {
    auto env = base_env();
    env["CERTCTL_CERT_PROFILES_FILE"] = write("profiles.json", "{ // no comments in JSON\n}");
    auto result = load(env);
    EXPECT_TRUE(any_contains(result.problems, "is not valid JSON")) << all(result.problems);
    env["CERTCTL_CERT_PROFILES_FILE"] = path("missing.json");
    result = load(env);
    EXPECT_TRUE(any_contains(result.problems, "CERTCTL_CERT_PROFILES_FILE: cannot read"))
        << all(result.problems);
}

TEST_F(CertProfilesConfigTest, AProfileDefinedTwiceIsRefused) {
    auto env = wifi_env();
    env["CERTCTL_CERT_PROFILES_FILE"] =
        write("profiles.json", R"({"profiles": {"cp-wifi-eap-tls": {}}})");
    const auto result = load(env);
    EXPECT_TRUE(any_contains(result.problems, "defined twice")) << all(result.problems);
}

TEST_F(CertProfilesConfigTest, FileProfilesCanBeNamedByEstProfiles) {
    auto env = base_env();
    env["CERTCTL_CERT_PROFILES_FILE"] = write("profiles.json", R"({"profiles": {"cp-x": {}}})");
    env["CERTCTL_EST_PROFILE_ID"] = "cp-x";
    EXPECT_TRUE(load(env).config);
    env["CERTCTL_EST_PROFILE_ID"] = "cp-y";
    EXPECT_TRUE(any_contains(load(env).problems, "cp-y"));
}

}  // namespace
}  // namespace estd::config
