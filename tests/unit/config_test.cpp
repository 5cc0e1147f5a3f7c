#include "estd/config/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "estd/config/env_parsing.hpp"

namespace estd::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr const char* kPassword = "s3cr3t-Enr0llment!";

// Passes when exactly one problem was reported and it contains every needle.
::testing::AssertionResult one_problem_naming(const LoadResult& result,
                                              std::initializer_list<std::string> needles) {
    std::string all;
    for (const auto& problem : result.problems) {
        all += "\n  " + problem;
    }
    if (result.problems.size() != 1) {
        return ::testing::AssertionFailure()
               << "expected one problem, got " << result.problems.size() << ":" << all;
    }
    for (const auto& needle : needles) {
        if (result.problems.front().find(needle) == std::string::npos) {
            return ::testing::AssertionFailure() << "no \"" << needle << "\" in:" << all;
        }
    }
    if (result.config) {
        return ::testing::AssertionFailure() << "a config was returned despite the problem";
    }
    return ::testing::AssertionSuccess();
}

bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
    for (const auto& line : lines) {
        if (line.find(needle) != std::string::npos) {
            return true;
        }
    }
    return false;
}

class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / (std::string("estd-config-test-") + info->name() + "-" +
                                            std::to_string(static_cast<long>(::getpid())));
        fs::create_directories(dir_);
        write("tls.crt", kPem);
        write("tls.key", "-----BEGIN PRIVATE KEY-----\n");
        write("ca.crt", kPem);
        write("ca.key", "-----BEGIN PRIVATE KEY-----\n");
        write("bundle.pem", kPem);
        write("no-cert.pem", "-----BEGIN PRIVATE KEY-----\n");
        write("pin", "1234\n");
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    void write(const std::string& name, const std::string& content) const {
        std::ofstream(dir_ / name) << content;
    }

    // The legacy shape: one anonymous root profile on iss-local.
    Environment legacy_env() const {
        return {
            {"CERTCTL_EST_ENABLED", "true"},
            {"CERTCTL_SERVER_TLS_CERT_PATH", path("tls.crt")},
            {"CERTCTL_SERVER_TLS_KEY_PATH", path("tls.key")},
            {"CERTCTL_CA_CERT_PATH", path("ca.crt")},
            {"CERTCTL_CA_KEY_PATH", path("ca.key")},
        };
    }

    // Two valid, authenticated profiles: corp (basic + mtls) and iot (mtls).
    Environment two_profile_env() const {
        auto env = legacy_env();
        env.insert({
            {"CERTCTL_EST_PROFILES", "corp, iot"},
            {"CERTCTL_ISSUERS", "iss-iot"},
            {"CERTCTL_ISSUER_ISS_IOT_TYPE", "local"},
            {"CERTCTL_ISSUER_ISS_IOT_CA_CERT_PATH", path("ca.crt")},
            {"CERTCTL_ISSUER_ISS_IOT_CA_KEY_PATH", path("ca.key")},
            {"CERTCTL_CERT_PROFILES", "cp-corp-laptops,cp-iot"},
            {"CERTCTL_EST_PROFILE_CORP_PROFILE_ID", "cp-corp-laptops"},
            {"CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD", kPassword},
            {"CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED", "true"},
            {"CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", path("bundle.pem")},
            {"CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES", "basic,MTLS"},
            {"CERTCTL_EST_PROFILE_CORP_CHANNEL_BINDING_REQUIRED", "TRUE"},
            {"CERTCTL_EST_PROFILE_CORP_RATE_LIMIT_PER_PRINCIPAL_24H", "3"},
            {"CERTCTL_EST_PROFILE_CORP_SERVERKEYGEN_ENABLED", "1"},
            {"CERTCTL_EST_PROFILE_IOT_ISSUER_ID", "iss-iot"},
            {"CERTCTL_EST_PROFILE_IOT_PROFILE_ID", "cp-iot"},
            {"CERTCTL_EST_PROFILE_IOT_MTLS_ENABLED", "1"},
            {"CERTCTL_EST_PROFILE_IOT_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", path("bundle.pem")},
            {"CERTCTL_EST_PROFILE_IOT_ALLOWED_AUTH_MODES", "mtls"},
            {"CERTCTL_EST_PROFILE_IOT_SERVERKEYGEN_ENABLED", "true"},
            {"CERTCTL_EST_PROFILE_IOT_SERVERKEYGEN_KEY_ENCRYPTION", "none"},
        });
        return env;
    }

    // One profile "corp" with only the given settings (plus the listener and iss-local).
    Environment corp_env(
        std::initializer_list<std::pair<const std::string, std::string>> settings) const {
        auto env = legacy_env();
        env["CERTCTL_EST_PROFILES"] = "corp";
        for (const auto& [name, value] : settings) {
            env["CERTCTL_EST_PROFILE_CORP_" + name] = value;
        }
        return env;
    }

    fs::path dir_;
};

// ---- parsers -------------------------------------------------------------

TEST(ConfigParsingTest, BooleansAcceptTrueFalseOneZeroInAnyCase) {
    for (const char* text : {"true", "TRUE", "True", "1", " true "}) {
        EXPECT_EQ(env::parse_bool(text), true) << text;
    }
    for (const char* text : {"false", "FALSE", "fAlSe", "0"}) {
        EXPECT_EQ(env::parse_bool(text), false) << text;
    }
    for (const char* text : {"yes", "no", "on", "off", "2", "", "t", "truee"}) {
        EXPECT_FALSE(env::parse_bool(text).has_value()) << text;
    }
}

TEST(ConfigParsingTest, DurationsTakeSecondsOrUnits) {
    EXPECT_EQ(env::parse_duration("30"), 30s);
    EXPECT_EQ(env::parse_duration("30s"), 30s);
    EXPECT_EQ(env::parse_duration("5m"), 300s);
    EXPECT_EQ(env::parse_duration("1h"), 3600s);
    EXPECT_EQ(env::parse_duration("365d"), std::chrono::seconds(365 * 86400));
    EXPECT_EQ(env::parse_duration("1h30m"), 5400s);
    EXPECT_EQ(env::parse_duration(" 2H "), 7200s);
    for (const char* text :
         {"", "s", "-5s", "5x", "1.5h", "h1", "5 m", "1h30", "99999999999999999999d"}) {
        EXPECT_FALSE(env::parse_duration(text).has_value()) << text;
    }
    EXPECT_EQ(env::format_duration(3600s), "1h");
    EXPECT_EQ(env::format_duration(std::chrono::seconds(365 * 86400)), "365d");
    EXPECT_EQ(env::format_duration(5400s), "1h30m");
    EXPECT_EQ(env::format_duration(90s), "1m30s");
    EXPECT_EQ(env::format_duration(0s), "0s");
}

TEST(ConfigParsingTest, NumbersListsIdsAndCidrs) {
    EXPECT_EQ(env::parse_unsigned("65535", 65535), 65535u);
    EXPECT_FALSE(env::parse_unsigned("65536", 65535).has_value());
    EXPECT_FALSE(env::parse_unsigned("-1").has_value());
    EXPECT_FALSE(env::parse_unsigned("12a").has_value());
    EXPECT_FALSE(env::parse_unsigned("99999999999999999999999").has_value());
    EXPECT_EQ(env::parse_integer("-3"), -3);
    EXPECT_EQ(env::parse_integer("7"), 7);
    EXPECT_FALSE(env::parse_integer("-").has_value());
    EXPECT_FALSE(env::parse_integer("- 3").has_value());
    EXPECT_FALSE(env::parse_integer("three").has_value());

    EXPECT_EQ(env::split_list(" a, b ,,c,"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(env::split_list(" , ").empty());
    EXPECT_EQ(env::env_id("cp-wifi-eap-tls"), "CP_WIFI_EAP_TLS");
    EXPECT_EQ(env::env_id("iss-corp"), "ISS_CORP");

    EXPECT_TRUE(env::valid_path_id("corp"));
    EXPECT_TRUE(env::valid_path_id("wifi-eap-2"));
    for (const char* bad : {"", "-corp", "corp-", "Corp", "wi_fi", "wi fi", "a/b"}) {
        EXPECT_FALSE(env::valid_path_id(bad)) << bad;
    }

    EXPECT_EQ(env::normalize_cidr("10.0.0.0/8"), "10.0.0.0/8");
    EXPECT_EQ(env::normalize_cidr("192.168.1.10"), "192.168.1.10/32");
    EXPECT_EQ(env::normalize_cidr("fd00::/8"), "fd00::/8");
    EXPECT_EQ(env::normalize_cidr("::1"), "::1/128");
    for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0/8", "10.0.0.0/", "host.example",
                            "10.0.0.0/-1", "10.0.0.0/ 8", "256.0.0.1"}) {
        EXPECT_FALSE(env::normalize_cidr(bad).has_value()) << bad;
    }
    EXPECT_EQ(env::edit_distance("ENROLMENT", "ENROLLMENT"), 1u);
    EXPECT_EQ(env::edit_distance("", "abc"), 3u);
}

// ---- global settings -------------------------------------------------------

TEST_F(ConfigTest, RefusesWhenEstIsNotEnabled) {
    auto env = legacy_env();
    env.erase("CERTCTL_EST_ENABLED");
    EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_EST_ENABLED=true", "not enabled"}));
    env["CERTCTL_EST_ENABLED"] = "false";
    EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_EST_ENABLED=true"}));
    env["CERTCTL_EST_ENABLED"] = "yes";
    EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_EST_ENABLED", "\"yes\"", "boolean"}));
}

TEST_F(ConfigTest, LegacyProfileIsTheAnonymousRoot) {
    const auto result = load(legacy_env());
    ASSERT_TRUE(result.config) << result.problems.front();
    const Config& cfg = *result.config;
    EXPECT_TRUE(cfg.est_enabled);
    ASSERT_EQ(cfg.est_profiles.size(), 1u);
    const auto& profile = cfg.est_profiles.front();
    EXPECT_TRUE(profile.legacy_root());
    EXPECT_EQ(profile.path_id, "");
    EXPECT_EQ(profile.env_prefix, "CERTCTL_EST_");
    EXPECT_EQ(profile.issuer_id, "iss-local");
    EXPECT_TRUE(profile.profile_id.empty());
    EXPECT_TRUE(profile.anonymous());
    ASSERT_EQ(cfg.issuers.size(), 1u);
    EXPECT_EQ(cfg.issuers.front().id, "iss-local");
    EXPECT_EQ(cfg.issuers.front().type, "local");
    EXPECT_EQ(cfg.issuers.front().ca_cert_path, path("ca.crt"));
    EXPECT_EQ(cfg.issuers.front().ca_key_path, path("ca.key"));
    ASSERT_NE(cfg.find_issuer("iss-local"), nullptr);
    EXPECT_EQ(cfg.find_issuer("iss-nope"), nullptr);
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_NE(result.warnings.front().find("legacy root"), std::string::npos);
    EXPECT_NE(result.warnings.front().find("anonymous"), std::string::npos);

    // Defaults.
    EXPECT_EQ(cfg.listener.host, "127.0.0.1");
    EXPECT_EQ(cfg.listener.port, 8443);
    EXPECT_EQ(cfg.listener.tls_min_version, TlsMinVersion::tls1_3);
    EXPECT_EQ(cfg.listener.threads, 0u);
    EXPECT_EQ(cfg.data_dir, "./data");
    EXPECT_EQ(cfg.log_level, "info");
    EXPECT_EQ(cfg.log_format, LogFormat::text);
    EXPECT_EQ(cfg.crl_generation_interval, 1h);
    EXPECT_EQ(cfg.default_certificate_ttl, std::chrono::seconds(365 * 86400));
    EXPECT_TRUE(cfg.trusted_proxies.empty());
}

TEST_F(ConfigTest, LegacyProfileRefusesAnUnknownIssuerOrCertificateProfile) {
    auto env = legacy_env();
    env["CERTCTL_EST_ISSUER_ID"] = "iss-gone";
    EXPECT_TRUE(
        one_problem_naming(load(env), {"legacy root", "CERTCTL_EST_ISSUER_ID", "iss-gone"}));

    env = legacy_env();
    env["CERTCTL_EST_PROFILE_ID"] = "cp-gone";
    EXPECT_TRUE(
        one_problem_naming(load(env), {"legacy root", "CERTCTL_EST_PROFILE_ID", "cp-gone"}));

    env = legacy_env();
    env.erase("CERTCTL_CA_CERT_PATH");
    env.erase("CERTCTL_CA_KEY_PATH");
    EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_EST_ISSUER_ID", "iss-local"}));
}

TEST_F(ConfigTest, ListenerAndProcessSettingsAreRead) {
    auto env = legacy_env();
    env.insert({
        {"CERTCTL_SERVER_HOST", "0.0.0.0"},
        {"CERTCTL_SERVER_PORT", "0"},
        {"CERTCTL_SERVER_TLS_MIN_VERSION", "1.2"},
        {"CERTCTL_SERVER_THREADS", "4"},
        {"CERTCTL_SERVER_WORKER_THREADS", "32"},
        {"CERTCTL_SERVER_MAX_HEADER_BYTES", "8192"},
        {"CERTCTL_SERVER_MAX_BODY_BYTES", "65536"},
        {"CERTCTL_SERVER_READ_TIMEOUT", "10s"},
        {"CERTCTL_SERVER_IDLE_TIMEOUT", "2m"},
        {"CERTCTL_SERVER_MAX_CONNECTIONS", "100"},
        {"CERTCTL_DATA_DIR", "/var/lib/estd"},
        {"CERTCTL_DATA_DIR_MIN_FREE_MIB", "512"},
        {"CERTCTL_LOG_LEVEL", "DEBUG"},
        {"CERTCTL_LOG_FORMAT", "json"},
        {"CERTCTL_CRL_GENERATION_INTERVAL", "30m"},
        {"CERTCTL_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7 ,fd00::/8"},
        {"CERTCTL_PUBLIC_BASE_URL", "https://pki.example.com/"},
        {"CERTCTL_EST_DEFAULT_TTL", "90d"},
    });
    const auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    const Config& cfg = *result.config;
    EXPECT_EQ(cfg.listener.host, "0.0.0.0");
    EXPECT_EQ(cfg.listener.port, 0);
    EXPECT_EQ(cfg.listener.tls_min_version, TlsMinVersion::tls1_2);
    EXPECT_EQ(cfg.listener.threads, 4u);
    EXPECT_EQ(cfg.listener.worker_threads, 32u);
    EXPECT_EQ(cfg.listener.max_header_bytes, 8192u);
    EXPECT_EQ(cfg.listener.max_body_bytes, 65536u);
    EXPECT_EQ(cfg.listener.read_timeout, 10s);
    EXPECT_EQ(cfg.listener.idle_timeout, 120s);
    EXPECT_EQ(cfg.listener.max_connections, 100u);
    EXPECT_EQ(cfg.listener.tls_cert_path, path("tls.crt"));
    EXPECT_EQ(cfg.data_dir, "/var/lib/estd");
    EXPECT_EQ(cfg.data_dir_min_free_mib, 512u);
    EXPECT_EQ(cfg.log_level, "debug");
    EXPECT_EQ(cfg.log_format, LogFormat::json);
    EXPECT_EQ(cfg.crl_generation_interval, 1800s);
    EXPECT_EQ(cfg.trusted_proxies,
              (std::vector<std::string>{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8"}));
    EXPECT_EQ(cfg.public_base_url, "https://pki.example.com");
    EXPECT_EQ(cfg.default_certificate_ttl, std::chrono::seconds(90 * 86400));
}

TEST_F(ConfigTest, ADatabaseUrlMovesTheStoreAndIsDescribedWithoutItsPassword) {
    auto embedded = load(legacy_env());
    ASSERT_TRUE(embedded.config);
    EXPECT_EQ(embedded.config->database_url, "");
    EXPECT_NE(describe(*embedded.config).find("/estd.db (embedded SQLite)"), std::string::npos);

    auto env = legacy_env();
    env["CERTCTL_DATABASE_URL"] = " postgres://u:hunter2@db/estd ";
    // As the store reads it (store::describe_postgres_url, tested there).
    std::vector<std::string> read;
    const DatabaseUrlReader as_the_store_reads = [&read](const std::string& url) {
        read.push_back(url);
        return std::optional<std::string>("u@db/estd");
    };
    auto server = load(env, as_the_store_reads);
    ASSERT_TRUE(server.config) << server.problems.front();
    EXPECT_EQ(server.config->database_url, "postgres://u:hunter2@db/estd");
    EXPECT_EQ(read, std::vector<std::string>{"postgres://u:hunter2@db/estd"});
    const auto described = describe(*server.config);
    EXPECT_NE(described.find("store: PostgreSQL u@db/estd (at most 8 connections"),
              std::string::npos)
        << described;
    EXPECT_EQ(described.find("hunter2"), std::string::npos);
}

TEST_F(ConfigTest, DatabaseConnectionsAreBoundedAndNeedADatabase) {
    auto env = legacy_env();
    env["CERTCTL_DATABASE_URL"] = "postgresql://estd@db/estd";
    env["CERTCTL_DATABASE_MAX_CONNECTIONS"] = "20";
    auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_EQ(result.config->database_max_connections, 20U);
    EXPECT_NE(describe(*result.config).find("(at most 20 connections"), std::string::npos);

    for (const char* bad : {"0", "1001", "many"}) {
        env["CERTCTL_DATABASE_MAX_CONNECTIONS"] = bad;
        result = load(env);
        ASSERT_FALSE(result.config) << bad;
        ASSERT_EQ(result.problems.size(), 1U);
        EXPECT_NE(result.problems[0].find("CERTCTL_DATABASE_MAX_CONNECTIONS"), std::string::npos)
            << result.problems[0];
    }

    env = legacy_env();
    env["CERTCTL_DATABASE_MAX_CONNECTIONS"] = "20";
    result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_TRUE(std::any_of(result.warnings.begin(), result.warnings.end(), [](const auto& w) {
        return w.find(
                   "CERTCTL_DATABASE_MAX_CONNECTIONS has no effect without "
                   "CERTCTL_DATABASE_URL") != std::string::npos;
    }));
}

TEST_F(ConfigTest, AuditRetentionIsOptInAndWarnsWhenShort) {
    auto result = load(legacy_env());
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_FALSE(result.config->audit_retention);

    auto env = legacy_env();
    env["CERTCTL_AUDIT_RETENTION"] = "400d";
    result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_EQ(result.config->audit_retention, std::chrono::seconds(400 * 86400));

    env["CERTCTL_AUDIT_RETENTION"] = "2h";
    result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_EQ(result.config->audit_retention, std::chrono::seconds(7200));
    bool warned = false;
    for (const auto& warning : result.warnings) {
        warned = warned || warning.find("CERTCTL_AUDIT_RETENTION=2h") != std::string::npos;
    }
    EXPECT_TRUE(warned);

    for (const char* bad : {"forever", "0s", "-1d"}) {
        env["CERTCTL_AUDIT_RETENTION"] = bad;
        EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_AUDIT_RETENTION"})) << bad;
    }
}

TEST_F(ConfigTest, RefusesBadListenerValuesNamingTheVariable) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"CERTCTL_SERVER_PORT", "65536"},
        {"CERTCTL_SERVER_PORT", "https"},
        {"CERTCTL_SERVER_TLS_MIN_VERSION", "1.1"},
        {"CERTCTL_SERVER_THREADS", "-2"},
        {"CERTCTL_SERVER_WORKER_THREADS", "2000"},
        {"CERTCTL_SERVER_MAX_BODY_BYTES", "0"},
        {"CERTCTL_SERVER_READ_TIMEOUT", "soon"},
        {"CERTCTL_SERVER_IDLE_TIMEOUT", "0s"},
        {"CERTCTL_SERVER_MAX_CONNECTIONS", "many"},
        {"CERTCTL_DATA_DIR_MIN_FREE_MIB", "64M"},
        {"CERTCTL_LOG_LEVEL", "verbose"},
        {"CERTCTL_LOG_FORMAT", "xml"},
        {"CERTCTL_CRL_GENERATION_INTERVAL", "1w"},
        {"CERTCTL_EST_DEFAULT_TTL", "-1d"},
        {"CERTCTL_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.0/40"},
        {"CERTCTL_PUBLIC_BASE_URL", "http://pki.example.com"},
    };
    for (const auto& [name, value] : cases) {
        auto env = legacy_env();
        env[name] = value;
        EXPECT_TRUE(one_problem_naming(load(env), {name})) << name << "=" << value;
    }
}

TEST_F(ConfigTest, RefusesMissingOrUnreadableListenerFiles) {
    auto env = legacy_env();
    env.erase("CERTCTL_SERVER_TLS_CERT_PATH");
    EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_SERVER_TLS_CERT_PATH", "required"}));

    env = legacy_env();
    env["CERTCTL_SERVER_TLS_KEY_PATH"] = path("missing.key");
    EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_SERVER_TLS_KEY_PATH", "missing.key"}));

    env = legacy_env();
    env["CERTCTL_SERVER_TLS_CERT_PATH"] = dir_.string();
    EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_SERVER_TLS_CERT_PATH", "directory"}));
}

// ---- issuers ---------------------------------------------------------------

TEST_F(ConfigTest, RefusesHalfOfTheLocalIssuer) {
    auto env = legacy_env();
    env.erase("CERTCTL_CA_KEY_PATH");
    EXPECT_TRUE(one_problem_naming(load(env),
                                   {"iss-local", "CERTCTL_CA_KEY_PATH", "CERTCTL_CA_CERT_PATH"}));
}

TEST_F(ConfigTest, ReadsListedIssuersOfBothTypes) {
    auto env = legacy_env();
    env.erase("CERTCTL_CA_CERT_PATH");
    env.erase("CERTCTL_CA_KEY_PATH");
    env.insert({
        {"CERTCTL_ISSUERS", "iss-local, iss-hsm"},
        {"CERTCTL_ISSUER_ISS_LOCAL_TYPE", "local"},
        {"CERTCTL_ISSUER_ISS_LOCAL_CA_CERT_PATH", path("ca.crt")},
        {"CERTCTL_ISSUER_ISS_LOCAL_CA_KEY_PATH", path("ca.key")},
        {"CERTCTL_ISSUER_ISS_HSM_TYPE", "PKCS11"},
        {"CERTCTL_ISSUER_ISS_HSM_CA_CERT_PATH", path("ca.crt")},
        {"CERTCTL_ISSUER_ISS_HSM_PKCS11_URI",
         "pkcs11:token=ca;object=issuing?module-path=/usr/lib/softhsm/libsofthsm2.so"},
        {"CERTCTL_ISSUER_ISS_HSM_PKCS11_PIN_ENV", "HSM_PIN"},
        {"HSM_PIN", "1234"},
    });
    const auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    ASSERT_EQ(result.config->issuers.size(), 2u);
    const auto* hsm = result.config->find_issuer("iss-hsm");
    ASSERT_NE(hsm, nullptr);
    EXPECT_EQ(hsm->type, "pkcs11");
    EXPECT_EQ(hsm->pkcs11_pin_env, "HSM_PIN");
    EXPECT_EQ(hsm->pkcs11_uri.rfind("pkcs11:token=ca", 0), 0u);
    const auto* local = result.config->find_issuer("iss-local");
    ASSERT_NE(local, nullptr);
    EXPECT_EQ(local->ca_key_path, path("ca.key"));
}

TEST_F(ConfigTest, RefusesIssuerMistakes) {
    const auto with =
        [this](std::initializer_list<std::pair<const std::string, std::string>> vars) {
            auto env = legacy_env();
            env["CERTCTL_ISSUERS"] = "iss-corp";
            for (const auto& [name, value] : vars) {
                env[name] = value;
            }
            return load(env);
        };
    EXPECT_TRUE(one_problem_naming(with({{"CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH", path("ca.crt")}}),
                                   {"iss-corp", "CERTCTL_ISSUER_ISS_CORP_TYPE", "required"}));
    EXPECT_TRUE(one_problem_naming(with({{"CERTCTL_ISSUER_ISS_CORP_TYPE", "vault"},
                                         {"CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH", path("ca.crt")}}),
                                   {"iss-corp", "CERTCTL_ISSUER_ISS_CORP_TYPE", "vault"}));
    EXPECT_TRUE(one_problem_naming(with({{"CERTCTL_ISSUER_ISS_CORP_TYPE", "local"},
                                         {"CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH", path("ca.crt")}}),
                                   {"iss-corp", "CERTCTL_ISSUER_ISS_CORP_CA_KEY_PATH"}));
    EXPECT_TRUE(one_problem_naming(with({{"CERTCTL_ISSUER_ISS_CORP_TYPE", "local"},
                                         {"CERTCTL_ISSUER_ISS_CORP_CA_KEY_PATH", path("ca.key")}}),
                                   {"iss-corp", "CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH"}));
    EXPECT_TRUE(
        one_problem_naming(with({{"CERTCTL_ISSUER_ISS_CORP_TYPE", "local"},
                                 {"CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH", path("nope.crt")},
                                 {"CERTCTL_ISSUER_ISS_CORP_CA_KEY_PATH", path("ca.key")}}),
                           {"iss-corp", "CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH", "nope.crt"}));

    const std::string pkcs11 = "CERTCTL_ISSUER_ISS_CORP_PKCS11_";
    const auto hsm = [&](std::initializer_list<std::pair<const std::string, std::string>> vars) {
        auto env = legacy_env();
        env.insert({{"CERTCTL_ISSUERS", "iss-corp"},
                    {"CERTCTL_ISSUER_ISS_CORP_TYPE", "pkcs11"},
                    {"CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH", path("ca.crt")}});
        for (const auto& [name, value] : vars) {
            env[name] = value;
        }
        return load(env);
    };
    const auto pin_in_uri = hsm({{pkcs11 + "URI", "pkcs11:token=ca;object=k?pin-value=987654"},
                                 {pkcs11 + "PIN_FILE", path("pin")}});
    EXPECT_TRUE(one_problem_naming(pin_in_uri, {"iss-corp", pkcs11 + "URI", "pin-value"}));
    EXPECT_FALSE(any_contains(pin_in_uri.problems, "987654"));
    EXPECT_TRUE(one_problem_naming(hsm({{pkcs11 + "PIN_FILE", path("pin")}}),
                                   {"iss-corp", pkcs11 + "URI"}));
    EXPECT_TRUE(one_problem_naming(hsm({{pkcs11 + "URI", "pkcs11:token=ca"}}),
                                   {"iss-corp", pkcs11 + "PIN_FILE", pkcs11 + "PIN_ENV"}));
    EXPECT_TRUE(one_problem_naming(hsm({{pkcs11 + "URI", "pkcs11:token=ca"},
                                        {pkcs11 + "PIN_FILE", path("pin")},
                                        {pkcs11 + "PIN_ENV", "HSM_PIN"},
                                        {"HSM_PIN", "1"}}),
                                   {"iss-corp", pkcs11 + "PIN_FILE", pkcs11 + "PIN_ENV"}));
    EXPECT_TRUE(one_problem_naming(
        hsm({{pkcs11 + "URI", "pkcs11:token=ca"}, {pkcs11 + "PIN_ENV", "HSM_PIN"}}),
        {"iss-corp", pkcs11 + "PIN_ENV", "HSM_PIN"}));
    const auto pasted_pin =
        hsm({{pkcs11 + "URI", "pkcs11:token=ca"}, {pkcs11 + "PIN_ENV", "12-34-56"}});
    EXPECT_TRUE(one_problem_naming(pasted_pin, {"iss-corp", pkcs11 + "PIN_ENV"}));
    EXPECT_FALSE(any_contains(pasted_pin.problems, "12-34-56"));
}

TEST_F(ConfigTest, RefusesDuplicateAndConflictingIssuers) {
    auto env = legacy_env();
    env.insert({{"CERTCTL_ISSUERS", "iss-corp,iss-corp"},
                {"CERTCTL_ISSUER_ISS_CORP_TYPE", "local"},
                {"CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH", path("ca.crt")},
                {"CERTCTL_ISSUER_ISS_CORP_CA_KEY_PATH", path("ca.key")}});
    EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_ISSUERS", "iss-corp", "twice"}));

    env = legacy_env();  // sets CERTCTL_CA_CERT_PATH
    env.insert({{"CERTCTL_ISSUERS", "iss-local"},
                {"CERTCTL_ISSUER_ISS_LOCAL_TYPE", "local"},
                {"CERTCTL_ISSUER_ISS_LOCAL_CA_CERT_PATH", path("ca.crt")},
                {"CERTCTL_ISSUER_ISS_LOCAL_CA_KEY_PATH", path("ca.key")}});
    EXPECT_TRUE(
        one_problem_naming(load(env), {"iss-local", "CERTCTL_CA_CERT_PATH", "CERTCTL_ISSUERS"}));
}

// ---- EST profiles ------------------------------------------------------------

TEST_F(ConfigTest, TwoProfileConfig) {
    const auto result = load(two_profile_env());
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
    const auto& profiles = result.config->est_profiles;
    ASSERT_EQ(profiles.size(), 2u);

    const auto& corp = profiles[0];
    EXPECT_EQ(corp.name, "corp");
    EXPECT_EQ(corp.path_id, "corp");
    EXPECT_EQ(corp.env_prefix, "CERTCTL_EST_PROFILE_CORP_");
    EXPECT_EQ(corp.issuer_id, "iss-local");
    EXPECT_EQ(corp.profile_id, "cp-corp-laptops");
    EXPECT_EQ(corp.enrollment_password, kPassword);
    EXPECT_TRUE(corp.mtls_enabled);
    EXPECT_EQ(corp.mtls_trust_bundle_path, path("bundle.pem"));
    EXPECT_TRUE(corp.auth_basic);
    EXPECT_TRUE(corp.auth_mtls);
    EXPECT_TRUE(corp.channel_binding_required);
    EXPECT_EQ(corp.rate_limit_per_principal_24h, 3);
    EXPECT_TRUE(corp.serverkeygen_enabled);
    EXPECT_EQ(corp.serverkeygen_key_encryption, ServerKeygenEncryption::cms);

    const auto& iot = profiles[1];
    EXPECT_EQ(iot.path_id, "iot");
    EXPECT_EQ(iot.issuer_id, "iss-iot");
    EXPECT_FALSE(iot.auth_basic);
    EXPECT_TRUE(iot.auth_mtls);
    EXPECT_FALSE(iot.channel_binding_required);
    EXPECT_EQ(iot.rate_limit_per_principal_24h, 0);
    EXPECT_EQ(iot.serverkeygen_key_encryption, ServerKeygenEncryption::none);

    EXPECT_EQ(result.config->certificate_profile_ids,
              (std::vector<std::string>{"cp-corp-laptops", "cp-iot"}));
}

TEST_F(ConfigTest, ProfileNamesMapToPathIdsAndVariableNames) {
    auto env = legacy_env();
    env["CERTCTL_EST_PROFILES"] = " Wifi-EAP ";
    env["CERTCTL_EST_PROFILE_WIFI_EAP_ENROLLMENT_PASSWORD"] = kPassword;
    env["CERTCTL_EST_PROFILE_WIFI_EAP_ALLOWED_AUTH_MODES"] = "Basic";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    ASSERT_EQ(result.config->est_profiles.size(), 1u);
    const auto& profile = result.config->est_profiles.front();
    EXPECT_EQ(profile.name, "Wifi-EAP");
    EXPECT_EQ(profile.path_id, "wifi-eap");
    EXPECT_EQ(profile.env_prefix, "CERTCTL_EST_PROFILE_WIFI_EAP_");
    EXPECT_TRUE(profile.auth_basic);
    EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
}

TEST_F(ConfigTest, AnonymousProfilesAreWarnedAboutByName) {
    auto env = legacy_env();
    env["CERTCTL_EST_PROFILES"] = "corp,iot";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    ASSERT_EQ(result.warnings.size(), 2u);
    EXPECT_NE(result.warnings[0].find("\"corp\""), std::string::npos);
    EXPECT_NE(result.warnings[0].find("anonymous"), std::string::npos);
    EXPECT_NE(result.warnings[0].find("CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"),
              std::string::npos);
    EXPECT_NE(result.warnings[1].find("\"iot\""), std::string::npos);
}

TEST_F(ConfigTest, RefusesInvalidPathIds) {
    for (const char* name : {"wi_fi", "-corp", "corp-", "corp.eu"}) {
        auto env = legacy_env();
        env["CERTCTL_EST_PROFILES"] = name;
        EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_EST_PROFILES", name, "PathID"}))
            << name;
    }
}

TEST_F(ConfigTest, RefusesDuplicatePathIds) {
    auto env = legacy_env();
    env["CERTCTL_EST_PROFILES"] = "corp,iot,CORP";
    const auto result = load(env);
    EXPECT_TRUE(one_problem_naming(result, {"\"corp\"", "CERTCTL_EST_PROFILES", "more than once"}));
}

TEST_F(ConfigTest, RefusesReservedPathIds) {
    for (const char* name : {"est", "est-mtls", "cacerts", "simpleenroll", "simplereenroll",
                             "csrattrs", "serverkeygen", "fullcmc", "CACERTS"}) {
        auto env = legacy_env();
        env["CERTCTL_EST_PROFILES"] = name;
        EXPECT_TRUE(one_problem_naming(load(env), {"CERTCTL_EST_PROFILES", "reserved", name}))
            << name;
    }
}

TEST_F(ConfigTest, RefusesUnknownAuthModeQuotingTheToken) {
    const auto result = load(corp_env({{"ALLOWED_AUTH_MODES", "kerberos"}}));
    EXPECT_TRUE(one_problem_naming(
        result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES", "\"kerberos\""}));
}

TEST_F(ConfigTest, RefusesMtlsWithoutMtlsEnabled) {
    const auto result = load(corp_env({{"ALLOWED_AUTH_MODES", "mtls"},
                                       {"MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", path("bundle.pem")}}));
    EXPECT_TRUE(one_problem_naming(result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED"}));
}

TEST_F(ConfigTest, RefusesMtlsWithoutTrustBundle) {
    const auto result = load(corp_env({{"ALLOWED_AUTH_MODES", "mtls"}, {"MTLS_ENABLED", "true"}}));
    EXPECT_TRUE(one_problem_naming(
        result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"}));
}

TEST_F(ConfigTest, RefusesUnreadableOrCertificatelessTrustBundle) {
    const std::string variable = "CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH";
    auto result = load(corp_env({{"ALLOWED_AUTH_MODES", "mtls"},
                                 {"MTLS_ENABLED", "true"},
                                 {"MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", path("absent.pem")}}));
    EXPECT_TRUE(one_problem_naming(result, {"\"corp\"", variable, "absent.pem"}));
    result = load(corp_env({{"ALLOWED_AUTH_MODES", "mtls"},
                            {"MTLS_ENABLED", "true"},
                            {"MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", path("no-cert.pem")}}));
    EXPECT_TRUE(one_problem_naming(result, {"\"corp\"", variable, "BEGIN CERTIFICATE"}));
}

TEST_F(ConfigTest, RefusesBasicWithoutPassword) {
    const auto result = load(corp_env({{"ALLOWED_AUTH_MODES", "basic"}}));
    EXPECT_TRUE(
        one_problem_naming(result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD"}));
}

TEST_F(ConfigTest, RefusesChannelBindingWithoutMtls) {
    const auto result = load(corp_env({{"ALLOWED_AUTH_MODES", "basic"},
                                       {"ENROLLMENT_PASSWORD", kPassword},
                                       {"CHANNEL_BINDING_REQUIRED", "true"}}));
    EXPECT_TRUE(one_problem_naming(
        result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_CHANNEL_BINDING_REQUIRED", "mTLS"}));
}

TEST_F(ConfigTest, RefusesServerKeygenWithoutProfileId) {
    const auto result = load(corp_env({{"ALLOWED_AUTH_MODES", "basic"},
                                       {"ENROLLMENT_PASSWORD", kPassword},
                                       {"SERVERKEYGEN_ENABLED", "true"}}));
    EXPECT_TRUE(
        one_problem_naming(result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_SERVERKEYGEN_ENABLED",
                                    "CERTCTL_EST_PROFILE_CORP_PROFILE_ID"}));
}

TEST_F(ConfigTest, RefusesBadServerKeygenKeyEncryption) {
    const auto result = load(corp_env({{"SERVERKEYGEN_KEY_ENCRYPTION", "aes"}}));
    EXPECT_TRUE(one_problem_naming(
        result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_SERVERKEYGEN_KEY_ENCRYPTION", "\"aes\""}));
}

TEST_F(ConfigTest, Base64LayoutIsPerProfileAndAutoByDefault) {
    auto result = load(corp_env({}));
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_EQ(result.config->est_profiles.front().base64_layout, Base64LayoutSetting::automatic);
    for (const auto& [value, layout] : std::vector<std::pair<std::string, Base64LayoutSetting>>{
             {"auto", Base64LayoutSetting::automatic},
             {"Single-Line", Base64LayoutSetting::single_line},
             {"wrapped", Base64LayoutSetting::wrapped}}) {
        result = load(corp_env({{"BASE64_LAYOUT", value}}));
        ASSERT_TRUE(result.config) << value;
        EXPECT_EQ(result.config->est_profiles.front().base64_layout, layout) << value;
        EXPECT_FALSE(any_contains(result.warnings, "BASE64_LAYOUT")) << value;
    }
    result = load(corp_env({{"BASE64_LAYOUT", "one-line"}}));
    EXPECT_TRUE(one_problem_naming(
        result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_BASE64_LAYOUT", "\"one-line\""}));

    auto legacy = legacy_env();
    legacy["CERTCTL_EST_BASE64_LAYOUT"] = "single-line";
    result = load(legacy);
    ASSERT_TRUE(result.config);
    EXPECT_EQ(result.config->est_profiles.front().base64_layout, Base64LayoutSetting::single_line);
    EXPECT_FALSE(any_contains(result.warnings, "unknown variable"));
}

TEST_F(ConfigTest, DefaultProfileIsOneOfTheListedProfiles) {
    auto env = two_profile_env();
    auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    for (const auto& profile : result.config->est_profiles) {
        EXPECT_FALSE(profile.label_less()) << profile.path_id;
    }

    env["CERTCTL_EST_DEFAULT_PROFILE"] = "IoT";
    result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_FALSE(result.config->est_profiles[0].label_less());
    EXPECT_TRUE(result.config->est_profiles[1].label_less_default);
    EXPECT_TRUE(result.config->est_profiles[1].label_less());
    EXPECT_FALSE(any_contains(result.warnings, "CERTCTL_EST_DEFAULT_PROFILE"));
    EXPECT_NE(describe(*result.config).find("default profile"), std::string::npos);

    env["CERTCTL_EST_DEFAULT_PROFILE"] = "wifi";
    EXPECT_TRUE(
        one_problem_naming(load(env), {"CERTCTL_EST_DEFAULT_PROFILE", "\"wifi\"", "corp, iot"}));

    auto legacy = legacy_env();
    legacy["CERTCTL_EST_DEFAULT_PROFILE"] = "corp";
    EXPECT_TRUE(
        one_problem_naming(load(legacy), {"CERTCTL_EST_DEFAULT_PROFILE", "CERTCTL_EST_PROFILES"}));
}

TEST_F(ConfigTest, RefusesNegativeOrNonNumericRateLimit) {
    for (const char* value : {"-1", "ten", "1.5"}) {
        const auto result = load(corp_env({{"RATE_LIMIT_PER_PRINCIPAL_24H", value}}));
        EXPECT_TRUE(one_problem_naming(
            result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_RATE_LIMIT_PER_PRINCIPAL_24H", value}))
            << value;
    }
    const auto off = load(corp_env({{"RATE_LIMIT_PER_PRINCIPAL_24H", "0"}}));
    EXPECT_TRUE(off.config);
}

TEST_F(ConfigTest, RefusesBadProfileBoolean) {
    const auto result = load(corp_env({{"MTLS_ENABLED", "maybe"}}));
    EXPECT_TRUE(one_problem_naming(
        result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED", "\"maybe\"", "boolean"}));
}

TEST_F(ConfigTest, RefusesUnknownIssuerId) {
    const auto result = load(corp_env({{"ISSUER_ID", "iss-missing"}}));
    EXPECT_TRUE(one_problem_naming(
        result, {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_ISSUER_ID", "iss-missing", "iss-local"}));
}

TEST_F(ConfigTest, RefusesUnknownCertificateProfileId) {
    auto env = corp_env({{"PROFILE_ID", "cp-wifi"}});
    EXPECT_TRUE(one_problem_naming(load(env), {"\"corp\"", "CERTCTL_EST_PROFILE_CORP_PROFILE_ID",
                                               "cp-wifi", "CERTCTL_CERT_PROFILES"}));
    env["CERTCTL_CERT_PROFILES"] = "cp-wifi";
    EXPECT_TRUE(load(env).config);
}

TEST_F(ConfigTest, EveryProblemIsReported) {
    auto env = corp_env(
        {{"ALLOWED_AUTH_MODES", "basic,kerberos"}, {"RATE_LIMIT_PER_PRINCIPAL_24H", "-5"}});
    const auto result = load(env);
    EXPECT_FALSE(result.config);
    ASSERT_EQ(result.problems.size(), 3u);
    EXPECT_TRUE(any_contains(result.problems, "kerberos"));
    EXPECT_TRUE(any_contains(result.problems, "CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD"));
    EXPECT_TRUE(
        any_contains(result.problems, "CERTCTL_EST_PROFILE_CORP_RATE_LIMIT_PER_PRINCIPAL_24H"));

    env.erase("CERTCTL_EST_ENABLED");
    env["CERTCTL_SERVER_PORT"] = "99999";
    EXPECT_EQ(load(env).problems.size(), 5u);
}

// ---- warnings ----------------------------------------------------------------

TEST_F(ConfigTest, WarnsAboutUnknownEstVariablesWithoutTheirValues) {
    auto env = two_profile_env();
    env["CERTCTL_EST_PROFILE_CORP_ENROLMENT_PASSWORD"] = "typo-value";
    env["CERTCTL_EST_PROFILE_WIFI_ISSUER_ID"] = "iss-local";
    env["CERTCTL_EST_SOMETHING"] = "x";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    ASSERT_EQ(result.warnings.size(), 3u);
    EXPECT_TRUE(any_contains(result.warnings,
                             "unknown variable CERTCTL_EST_PROFILE_CORP_ENROLMENT_PASSWORD"));
    EXPECT_TRUE(any_contains(result.warnings,
                             "did you mean CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD?"));
    EXPECT_TRUE(any_contains(result.warnings, "no profile named wifi is listed"));
    EXPECT_TRUE(any_contains(result.warnings, "unknown variable CERTCTL_EST_SOMETHING"));
    EXPECT_FALSE(any_contains(result.warnings, "typo-value"));
}

TEST_F(ConfigTest, WarnsAboutEveryUnknownCertctlVariableNamingTheClosestKnownOne) {
    auto env = two_profile_env();
    env["CERTCTL_SEVRER_PORT"] = "1";
    env["CERTCTL_LOG_LEVL"] = "debug";
    env["CERTCTL_OCSP_RESPONDER_SIGNING_KEY_PATH"] = "secret-looking-value";
    env["CERTCTL_ESTENABLED"] = "true";
    env["CERTCTL_EST_SOMETHING_FROM_A_NEWER_RELEASE"] = "x";
    // Known names: estctl's key, a pkcs11-only setting on a local issuer,
    // and variables of other programs.
    env["CERTCTL_API_KEY"] = "k";
    env["CERTCTL_ISSUER_ISS_IOT_PKCS11_POOL_SIZE"] = "2";
    env["HOME"] = "/root";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    std::string all;
    for (const auto& warning : result.warnings) {
        all += warning + "\n";
    }
    EXPECT_TRUE(any_contains(result.warnings, "unknown variable CERTCTL_SEVRER_PORT")) << all;
    EXPECT_TRUE(any_contains(result.warnings, "did you mean CERTCTL_SERVER_PORT?")) << all;
    EXPECT_TRUE(any_contains(result.warnings, "did you mean CERTCTL_LOG_LEVEL?")) << all;
    EXPECT_TRUE(any_contains(result.warnings, "did you mean CERTCTL_EST_ENABLED?")) << all;
    EXPECT_TRUE(
        any_contains(result.warnings, "unknown variable CERTCTL_OCSP_RESPONDER_SIGNING_KEY_PATH"))
        << all;
    EXPECT_TRUE(any_contains(result.warnings,
                             "unknown variable CERTCTL_EST_SOMETHING_FROM_A_NEWER_RELEASE"))
        << all;
    EXPECT_TRUE(any_contains(result.warnings, "the closest known variable is CERTCTL_")) << all;
    EXPECT_EQ(result.warnings.size(), 5u) << all;
    EXPECT_FALSE(any_contains(result.warnings, "secret-looking-value"));
    EXPECT_FALSE(any_contains(result.warnings, "CERTCTL_API_KEY"));
    EXPECT_FALSE(any_contains(result.warnings, "PKCS11_POOL_SIZE"));
}

TEST_F(ConfigTest, WarnsAboutSettingsThatHaveNoEffect) {
    auto env = corp_env({{"ALLOWED_AUTH_MODES", "mtls"},
                         {"MTLS_ENABLED", "true"},
                         {"MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", path("bundle.pem")},
                         {"ENROLLMENT_PASSWORD", kPassword}});
    env["CERTCTL_EST_ISSUER_ID"] = "iss-local";
    const auto result = load(env);
    ASSERT_TRUE(result.config) << result.problems.front();
    EXPECT_TRUE(any_contains(result.warnings, "CERTCTL_EST_ISSUER_ID is ignored"));
    EXPECT_TRUE(any_contains(result.warnings, "password is not checked"));
    EXPECT_FALSE(any_contains(result.warnings, kPassword));
}

TEST_F(ConfigTest, PasswordNeverAppearsInMessages) {
    auto env = two_profile_env();
    env["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "mtls";  // password now unused
    env["CERTCTL_EST_PROFILE_IOT_ENROLLMENT_PASSWORD"] = kPassword;
    env["CERTCTL_EST_PROFILE_IOT_MTLS_ENABLED"] = "sometimes";  // a problem in that profile
    const auto result = load(env);
    EXPECT_FALSE(result.problems.empty());
    EXPECT_FALSE(result.warnings.empty());
    EXPECT_FALSE(any_contains(result.problems, kPassword));
    EXPECT_FALSE(any_contains(result.warnings, kPassword));
}

// ---- describe ----------------------------------------------------------------

TEST_F(ConfigTest, DescribeShowsTheResolvedConfigButNeverThePassword) {
    const auto result = load(two_profile_env());
    ASSERT_TRUE(result.config) << result.problems.front();
    const auto text = describe(*result.config);
    EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
    EXPECT_NE(text.find("https://127.0.0.1:8443"), std::string::npos) << text;
    EXPECT_NE(text.find("./data"), std::string::npos) << text;
    EXPECT_NE(text.find("iss-iot"), std::string::npos) << text;
    EXPECT_NE(text.find(path("ca.crt")), std::string::npos) << text;
    EXPECT_NE(text.find("/.well-known/est/corp/"), std::string::npos) << text;
    EXPECT_NE(text.find("/.well-known/est-mtls/iot/"), std::string::npos) << text;
    EXPECT_NE(text.find("enrollment password: set"), std::string::npos) << text;
    EXPECT_NE(text.find("enrollment password: not set"), std::string::npos) << text;
    EXPECT_NE(text.find("cp-corp-laptops"), std::string::npos) << text;
    EXPECT_NE(text.find("channel binding: required"), std::string::npos) << text;
    EXPECT_NE(text.find("rate limit per principal (24h): 3"), std::string::npos) << text;
    EXPECT_NE(text.find("plain PKCS#8"), std::string::npos) << text;

    const auto legacy = load(legacy_env());
    ASSERT_TRUE(legacy.config);
    const auto legacy_text = describe(*legacy.config);
    EXPECT_NE(legacy_text.find("/.well-known/est/ (legacy root)"), std::string::npos)
        << legacy_text;
    EXPECT_NE(legacy_text.find("anonymous"), std::string::npos) << legacy_text;
}

TEST(ConfigProcessTest, EnvironmentFromProcessReadsEnviron) {
    ASSERT_EQ(::setenv("ESTD_CONFIG_TEST_VALUE", "a=b", 1), 0);
    const auto env = environment_from_process();
    ::unsetenv("ESTD_CONFIG_TEST_VALUE");
    ASSERT_TRUE(env.contains("ESTD_CONFIG_TEST_VALUE"));
    EXPECT_EQ(env.at("ESTD_CONFIG_TEST_VALUE"), "a=b");
}

}  // namespace
}  // namespace estd::config
