// Several profiles, several issuers, the TLS version opt-in, client quirks
// and check-config, against the real daemon.
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

class EstProfilesTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-profiles");
        make_dev_pki(dir_ / "corp", "corp");
        make_dev_pki(dir_ / "iot", "iot");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out device.key");
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

    // Three profiles on one issuer (corp's CA): corp takes a password, iot
    // only client certificates from its own bootstrap CA (iot-boot-ca.crt),
    // lab is anonymous.
    Daemon::Environment shared_issuer_env() const {
        const auto p = [&](const char* rel) { return (dir_ / rel).string(); };
        return {
            {"CERTCTL_EST_ENABLED", "true"},
            {"CERTCTL_EST_PROFILES", "corp,iot,lab"},
            {"CERTCTL_ISSUERS", "iss-shared"},
            {"CERTCTL_ISSUER_ISS_SHARED_TYPE", "local"},
            {"CERTCTL_ISSUER_ISS_SHARED_CA_CERT_PATH", p("corp/ca-chain.crt")},
            {"CERTCTL_ISSUER_ISS_SHARED_CA_KEY_PATH", p("corp/ca.key")},
            {"CERTCTL_EST_PROFILE_CORP_ISSUER_ID", "iss-shared"},
            {"CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES", "basic"},
            {"CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD", "corp-Pa55word"},
            {"CERTCTL_EST_PROFILE_IOT_ISSUER_ID", "iss-shared"},
            {"CERTCTL_EST_PROFILE_IOT_MTLS_ENABLED", "true"},
            {"CERTCTL_EST_PROFILE_IOT_ALLOWED_AUTH_MODES", "mtls"},
            {"CERTCTL_EST_PROFILE_IOT_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", p("iot-boot-ca.crt")},
            {"CERTCTL_EST_PROFILE_LAB_ISSUER_ID", "iss-shared"},
            {"CERTCTL_SERVER_TLS_CERT_PATH", p("corp/tls.crt")},
            {"CERTCTL_SERVER_TLS_KEY_PATH", p("corp/tls.key")},
            {"CERTCTL_DATA_DIR", p("data")},
        };
    }
    // iot-boot-ca.crt/.key, and sensor-boot.crt/.key issued by it.
    void make_iot_bootstrap_pki() {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out iot-boot-ca.key");
        sh("openssl req -x509 -new -key iot-boot-ca.key -subj '/CN=iot bootstrap CA' -days 30 "
           "-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign "
           "-out iot-boot-ca.crt");
        issue_outside("sensor-boot", "iot-boot-ca", 30);
    }
    // name.key and name.crt (clientAuth) signed by ca.crt/ca.key, not by
    // estd; days < 0: already expired.
    void issue_outside(const std::string& name, const std::string& ca, int days) {
        sh("printf 'extendedKeyUsage=clientAuth\\n' > client.ext");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
        sh("openssl req -new -key " + name + ".key -subj '/CN=" + name +
           "' | openssl x509 -req -CA " + ca + ".crt -CAkey " + ca + ".key -CAcreateserial -days " +
           std::to_string(days) + " -extfile client.ext -out " + name + ".crt 2>/dev/null");
    }

    // POSTs a CSR made with name.key (`openssl req` options in `request`) to
    // `path` with curl `args`; the status, the body in last.out.
    std::string post_csr(const std::string& name, const std::string& request,
                         const std::string& args, const std::string& path) {
        sh("openssl req -new -key " + name + ".key " + request + " -outform DER | base64 -w0 > " +
           "req.b64");
        return curl(
            "-o last.out -w '%{http_code}' -H 'Content-Type: application/pkcs10' "
            "--data-binary @req.b64 " +
                args,
            path);
    }
    std::string last_body() const { return read_file(dir_ / "last.out"); }
    // A new key name.key, enrolled as /CN=name; name.crt on success.
    std::string enroll_as(const std::string& name, const std::string& args,
                          const std::string& path) {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
        const auto status = post_csr(name, "-subj '/CN=" + name + "'", args, path);
        if (status == "200") {
            sh("base64 -d last.out | openssl pkcs7 -inform DER -print_certs > " + name + ".crt");
        }
        return status;
    }
    // Renews name.crt (its own key, /CN=name unless `subject` says
    // otherwise) on `path`; name-renewed.crt on success.
    std::string renew(const std::string& name, const std::string& args, const std::string& path,
                      const std::string& subject = {}) {
        const auto status =
            post_csr(name, "-subj '" + (subject.empty() ? "/CN=" + name : subject) + "'",
                     "--cert " + name + ".crt --key " + name + ".key " + args, path);
        if (status == "200") {
            sh("base64 -d last.out | openssl pkcs7 -inform DER -print_certs > " + name +
               "-renewed.crt");
        }
        return status;
    }
    std::size_t audit_count(const std::string& action, const std::string& profile) const {
        std::istringstream lines(read_file(dir_ / "data/audit.log"));
        std::size_t n = 0;
        for (std::string line; std::getline(lines, line);) {
            n += line.find("\"action\":\"" + action + "\"") != std::string::npos &&
                 line.find("\"profile\":\"" + profile + "\"") != std::string::npos;
        }
        return n;
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

// corp, iot and lab share one issuer, so a certificate of any of them chains
// to every profile's issuing CA. A renewal must present a certificate issued
// through the profile renewing it (the inventory knows), or one chaining to
// its trust bundle: every other pairing, on every route, is refused.
TEST_F(EstProfilesTest, ARenewalStaysInTheProfileThatIssuedTheCertificate) {
    make_iot_bootstrap_pki();
    ASSERT_TRUE(daemon_.start(shared_issuer_env())) << daemon_.log();
    const std::string password = "-u device:corp-Pa55word ";
    ASSERT_EQ(enroll_as("corpdev", password, "/.well-known/est/corp/simpleenroll"), "200")
        << last_body();
    ASSERT_EQ(enroll_as("sensor", "--cert sensor-boot.crt --key sensor-boot.key",
                        "/.well-known/est-mtls/iot/simpleenroll"),
              "200")
        << last_body();
    ASSERT_EQ(enroll_as("labdev", "", "/.well-known/est/lab/simpleenroll"), "200") << last_body();

    struct Route {
        std::string profile;
        std::string path;
        std::string args;
    };
    const std::vector<Route> routes = {
        {"corp", "/.well-known/est/corp/simplereenroll", password},
        {"iot", "/.well-known/est-mtls/iot/simplereenroll", ""},
        {"iot", "/.well-known/est/iot/simplereenroll", ""},
        {"lab", "/.well-known/est/lab/simplereenroll", ""},
    };
    const std::map<std::string, std::string> holders = {
        {"corp", "corpdev"}, {"iot", "sensor"}, {"lab", "labdev"}};
    for (const auto& [issued_by, holder] : holders) {
        for (const auto& route : routes) {
            if (route.profile == issued_by) {
                continue;
            }
            EXPECT_EQ(renew(holder, route.args, route.path), "401")
                << holder << " (" << issued_by << ") on " << route.path << ": " << last_body();
            EXPECT_NE(last_body().find("issued through EST profile \"" + issued_by + "\""),
                      std::string::npos)
                << route.path << ": " << last_body();
        }
    }
    // Each renews where it was issued, on every route of its profile.
    for (const auto& route : routes) {
        const auto& holder = holders.at(route.profile);
        EXPECT_EQ(renew(holder, route.args, route.path), "200")
            << holder << " on " << route.path << ": " << last_body();
    }
    // ... and what it renewed into is again that profile's.
    sh("cp sensor-renewed.crt sensor.crt");
    EXPECT_EQ(renew("sensor", "", "/.well-known/est/lab/simplereenroll"), "401") << last_body();
    EXPECT_EQ(renew("sensor", "", "/.well-known/est-mtls/iot/simplereenroll"), "200")
        << last_body();

    // A certificate chaining to iot's trust bundle renews there, on both
    // routes, and only there.
    EXPECT_EQ(renew("sensor-boot", "", "/.well-known/est-mtls/iot/simplereenroll"), "200")
        << last_body();
    EXPECT_EQ(renew("sensor-boot", "", "/.well-known/est/iot/simplereenroll"), "200")
        << last_body();
    EXPECT_EQ(renew("sensor-boot", "", "/.well-known/est/lab/simplereenroll"), "401")
        << last_body();
    EXPECT_EQ(renew("sensor-boot", password, "/.well-known/est/corp/simplereenroll"), "401")
        << last_body();

    // Signed by the shared CA but not by estd: the inventory has no record of
    // it, so no profile renews it. Expired: refused before that.
    issue_outside("stray", "corp/ca", 30);
    EXPECT_EQ(renew("stray", "", "/.well-known/est/lab/simplereenroll"), "401") << last_body();
    EXPECT_NE(last_body().find("no record"), std::string::npos) << last_body();
    issue_outside("stale", "corp/ca", -1);
    EXPECT_EQ(renew("stale", "", "/.well-known/est/lab/simplereenroll"), "401") << last_body();
    EXPECT_NE(last_body().find("expired"), std::string::npos) << last_body();

    EXPECT_EQ(audit_count("est_simple_reenroll_success", "corp"), 1u);
    EXPECT_EQ(audit_count("est_simple_reenroll_success", "iot"), 5u);
    EXPECT_EQ(audit_count("est_simple_reenroll_success", "lab"), 1u);
}

// RFC 7030 §4.2.2: the renewed certificate carries exactly the subject and
// SANs of the one it renews; a CSR that spells them otherwise is refused.
TEST_F(EstProfilesTest, ARenewalRepeatsTheSubjectAndSansExactly) {
    make_iot_bootstrap_pki();
    ASSERT_TRUE(daemon_.start(shared_issuer_env())) << daemon_.log();
    const std::string enroll = "/.well-known/est/lab/simpleenroll";
    const std::string reenroll = "/.well-known/est/lab/simplereenroll";
    sh("openssl ecparam -name prime256v1 -genkey -noout -out dev.key");
    ASSERT_EQ(
        post_csr("dev", "-subj '/CN=corpdev-y' -addext subjectAltName=DNS:a.example,DNS:b.example",
                 "", enroll),
        "200")
        << last_body();
    sh("base64 -d last.out | openssl pkcs7 -inform DER -print_certs > dev.crt");
    const std::string cert = "--cert dev.crt --key dev.key ";
    for (const std::string request :
         {"-subj '/CN=CORPDEV-Y' -addext subjectAltName=DNS:a.example,DNS:b.example",
          "-subj '/CN=corpdev-y ' -addext subjectAltName=DNS:a.example,DNS:b.example",
          "-subj '/CN=corpdev-y' -addext subjectAltName=DNS:b.example,DNS:a.example",
          "-subj '/CN=corpdev-y' -addext subjectAltName=DNS:A.example,DNS:b.example",
          "-subj '/CN=corpdev-y'"}) {
        EXPECT_EQ(post_csr("dev", request, cert, reenroll), "400")
            << request << ": " << last_body();
        EXPECT_NE(last_body().find("exactly"), std::string::npos) << last_body();
    }
    ASSERT_EQ(
        post_csr("dev", "-subj '/CN=corpdev-y' -addext subjectAltName=DNS:a.example,DNS:b.example",
                 cert, reenroll),
        "200")
        << last_body();
    sh("base64 -d last.out | openssl pkcs7 -inform DER -print_certs > renewed.crt");
    const std::string names = " -noout -subject -ext subjectAltName -nameopt RFC2253";
    EXPECT_EQ(sh("openssl x509 -in renewed.crt" + names), sh("openssl x509 -in dev.crt" + names));
}

}  // namespace
}  // namespace estd::testing
