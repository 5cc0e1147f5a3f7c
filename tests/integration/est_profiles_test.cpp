// Several profiles, several issuers, the TLS version opt-in, client quirks
// and check-config, against the real daemon.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

class EstProfilesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-profiles");
        make_dev_pki(dir_ / "corp", "corp");
        make_dev_pki(dir_ / "iot", "iot");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out device.key");
    }
    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "---- estd log ----\n" << daemon_.log() << "\n";
        }
        daemon_.stop();
        fs::remove_all(dir_);
    }

    Daemon::Environment two_profile_env() const {
        const auto p = [&](const char* rel) { return (dir_ / rel).string(); };
        return {
            {"CERTCTL_EST_ENABLED", "true"},
            {"CERTCTL_EST_PROFILES", "corp,iot"},
            {"CERTCTL_ISSUERS", "iss-corp,iss-iot"},
            {"CERTCTL_ISSUER_ISS_CORP_TYPE", "local"},
            {"CERTCTL_ISSUER_ISS_CORP_CA_CERT_PATH", p("corp/ca-chain.crt")},
            {"CERTCTL_ISSUER_ISS_CORP_CA_KEY_PATH", p("corp/ca.key")},
            {"CERTCTL_ISSUER_ISS_IOT_TYPE", "local"},
            {"CERTCTL_ISSUER_ISS_IOT_CA_CERT_PATH", p("iot/ca-chain.crt")},
            {"CERTCTL_ISSUER_ISS_IOT_CA_KEY_PATH", p("iot/ca.key")},
            {"CERTCTL_EST_PROFILE_CORP_ISSUER_ID", "iss-corp"},
            {"CERTCTL_EST_PROFILE_IOT_ISSUER_ID", "iss-iot"},
            {"CERTCTL_SERVER_TLS_CERT_PATH", p("corp/tls.crt")},
            {"CERTCTL_SERVER_TLS_KEY_PATH", p("corp/tls.key")},
            {"CERTCTL_DATA_DIR", p("data")},
        };
    }

    std::string sh(const std::string& command) {
        auto result = run_command("cd '" + dir_.string() + "' && " + command);
        EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
        return result.output;
    }
    std::string curl(const std::string& args, const std::string& path) {
        return sh("curl -sS --cacert corp/root-ca.crt " + args + " " + daemon_.url(path));
    }
    std::string enroll_subject_issuer(const std::string& profile) {
        sh("openssl req -new -key device.key -subj '/CN=dev-" + profile +
           "' -outform DER | base64 -w0 > " + profile + ".b64");
        curl("-H 'Content-Type: application/pkcs10' --data-binary @" + profile + ".b64 -o " +
                 profile + ".p7",
             "/.well-known/est/" + profile + "/simpleenroll");
        return sh("base64 -d " + profile +
                  ".p7 | openssl pkcs7 -inform DER -print_certs "
                  "| openssl x509 -noout -issuer");
    }

    fs::path dir_;
    Daemon daemon_;
};

TEST_F(EstProfilesTest, EachProfileServesItsOwnChainAndSignsWithItsOwnCa) {
    ASSERT_TRUE(daemon_.start(two_profile_env())) << daemon_.log();
    const auto corp_chain = curl("",
                                 "/.well-known/est/corp/cacerts | base64 -d | openssl pkcs7 "
                                 "-inform DER -print_certs -noout");
    const auto iot_chain = curl("",
                                "/.well-known/est/iot/cacerts | base64 -d | openssl pkcs7 "
                                "-inform DER -print_certs -noout");
    EXPECT_NE(corp_chain.find("corp DEV-ONLY Issuing CA"), std::string::npos) << corp_chain;
    EXPECT_EQ(corp_chain.find("iot DEV-ONLY"), std::string::npos) << corp_chain;
    EXPECT_NE(iot_chain.find("iot DEV-ONLY Issuing CA"), std::string::npos) << iot_chain;
    EXPECT_EQ(iot_chain.find("corp DEV-ONLY"), std::string::npos) << iot_chain;

    EXPECT_NE(enroll_subject_issuer("corp").find("corp DEV-ONLY Issuing CA"), std::string::npos);
    EXPECT_NE(enroll_subject_issuer("iot").find("iot DEV-ONLY Issuing CA"), std::string::npos);
    sh("base64 -d iot.p7 | openssl pkcs7 -inform DER -print_certs > iot.crt");
    EXPECT_NE(sh("openssl verify -CAfile iot/root-ca.crt -untrusted iot/ca.crt iot.crt").find("OK"),
              std::string::npos);
    EXPECT_NE(run_command("cd '" + dir_.string() +
                          "' && openssl verify -CAfile corp/root-ca.crt -untrusted corp/ca.crt "
                          "iot.crt")
                  .exit_code,
              0);

    // With named profiles there is no legacy root.
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code}'", "/.well-known/est/cacerts"), "404");
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code}'", "/.well-known/est/other/cacerts"), "404");
}

TEST_F(EstProfilesTest, ClientQuirksAreTolerated) {
    ASSERT_TRUE(daemon_.start(two_profile_env())) << daemon_.log();
    sh("openssl req -new -key device.key -subj '/CN=quirky' -out quirky.pem");
    sh("openssl req -in quirky.pem -outform DER -out quirky.der");
    const std::string path = "/.well-known/est/corp/simpleenroll";
    const std::string ok = "-o /dev/null -w '%{http_code}' ";
    // Cisco IOS 15: PEM as application/x-pem-file.
    EXPECT_EQ(
        curl(ok + "-H 'Content-Type: application/x-pem-file' --data-binary @quirky.pem", path),
        "200");
    // IOS 16: trailing newlines; Apple MDM: CRLF-wrapped base64; leading spaces.
    sh("{ printf '  \\n'; base64 -w 64 quirky.der | sed 's/$/\\r/'; printf '\\n\\n\\n'; } > "
       "crlf.b64");
    EXPECT_EQ(curl(ok + "-H 'Content-Type: application/pkcs10' --data-binary @crlf.b64", path),
              "200");
    // Content-Transfer-Encoding present, LF wrapping.
    sh("base64 quirky.der > lf.b64");
    EXPECT_EQ(curl(ok + "-H 'Content-Type: application/pkcs10' -H 'Content-Transfer-Encoding: "
                        "base64' --data-binary @lf.b64",
                   path),
              "200");
    // Raw DER.
    EXPECT_EQ(curl(ok + "-H 'Content-Type: application/pkcs10' --data-binary @quirky.der", path),
              "200");
    // A CSR whose signature does not verify is refused.
    sh("cp quirky.der bad.der && printf '\\x5a\\xa5' | dd of=bad.der bs=1 seek=$(( $(stat -c %s "
       "bad.der) - 5 )) conv=notrunc 2>/dev/null");
    const auto bad = curl(
        "-w '%{http_code}' -H 'Content-Type: application/pkcs10' "
        "--data-binary @<(base64 -w0 bad.der)",
        path);
    EXPECT_NE(bad.find("400"), std::string::npos) << bad;
}

TEST_F(EstProfilesTest, Tls12IsRefusedByDefaultAndServedWhenOptedIn) {
    ASSERT_TRUE(daemon_.start(two_profile_env())) << daemon_.log();
    const std::string tls12 = "-o /dev/null -w '%{http_code}' --tls-max 1.2 ";
    auto refused = run_command("cd '" + dir_.string() +
                               "' && curl -sS --cacert corp/root-ca.crt --tls-max 1.2 " +
                               daemon_.url("/.well-known/est/corp/cacerts"));
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code}'", "/.well-known/est/corp/cacerts"), "200");
    daemon_.stop();

    auto env = two_profile_env();
    env["CERTCTL_SERVER_TLS_MIN_VERSION"] = "1.2";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    EXPECT_EQ(curl(tls12, "/.well-known/est/corp/cacerts"), "200");
    const auto version =
        sh("openssl s_client -connect 127.0.0.1:" + std::to_string(daemon_.port()) +
           " -tls1_2 -CAfile corp/root-ca.crt </dev/null 2>/dev/null | grep "
           "-E '^ *Protocol'");
    EXPECT_NE(version.find("TLSv1.2"), std::string::npos) << version;
}

TEST_F(EstProfilesTest, CheckConfigListsEveryProblem) {
    auto env = two_profile_env();
    env["CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES"] = "basic,kerberos";
    env["CERTCTL_EST_PROFILE_IOT_ISSUER_ID"] = "iss-missing";
    env["CERTCTL_EST_PROFILE_IOT_RATE_LIMIT_PER_PRINCIPAL_24H"] = "-1";
    env["CERTCTL_EST_PROFILE_IOT_ENROLMENT_PASSWORD"] = "typo";
    const auto result = Daemon::run_once(env, "check-config");
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.output.find("kerberos"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("iss-missing"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("CERTCTL_EST_PROFILE_IOT_RATE_LIMIT_PER_PRINCIPAL_24H"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("CERTCTL_EST_PROFILE_IOT_ENROLMENT_PASSWORD"), std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("typo\n"), std::string::npos);

    const auto good = Daemon::run_once(two_profile_env(), "check-config");
    EXPECT_EQ(good.exit_code, 0) << good.output;
    EXPECT_NE(good.output.find("iss-corp"), std::string::npos) << good.output;
    EXPECT_NE(good.output.find("/.well-known/est/iot/"), std::string::npos) << good.output;

    const auto version = Daemon::run_once({}, "--version");
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_NE(version.output.find("estd "), std::string::npos);
}

}  // namespace
}  // namespace estd::testing
