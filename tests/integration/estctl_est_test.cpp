// estctl's `est` verbs against the real daemon: the exit codes and files a
// device operator's scripts rely on.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBasicPassword = "s3cret-Enrollment-pw";

class EstctlTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estctl");
        make_dev_pki(dir_ / "pki", "corp");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out device.key");
        sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key "
           "2>/dev/null");
    }

    std::string p(const std::string& rel) const { return (dir_ / rel).string(); }

    Daemon::Environment legacy_env() const { return dev_pki_environment(dir_); }

    // corp: anonymous; basic: Basic only; kg / kgplain: serverkeygen with
    // CMS and plain keys; wifi: mTLS with channel binding; TLS 1.2 allowed.
    Daemon::Environment profiles_env() {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out boot-ca.key");
        sh("openssl req -x509 -new -key boot-ca.key -subj '/CN=bootstrap CA' -days 30 -addext "
           "basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign -out "
           "boot-ca.crt");
        sh("printf 'extendedKeyUsage=clientAuth\\n' > client.ext");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out laptop.key");
        sh("openssl req -new -key laptop.key -subj '/CN=laptop' | openssl x509 -req -CA "
           "boot-ca.crt -CAkey boot-ca.key -CAcreateserial -days 30 -extfile client.ext -out "
           "laptop.crt 2>/dev/null");
        write_file(dir_ / "password.txt", std::string(kBasicPassword) + "\n");
        auto env = legacy_env();
        env["CERTCTL_EST_PROFILES"] = "corp,basic,kg,kgplain,wifi";
        env["CERTCTL_SERVER_TLS_MIN_VERSION"] = "1.2";
        env["CERTCTL_CERT_PROFILES"] = "cp-keygen";
        env["CERTCTL_EST_PROFILE_BASIC_ALLOWED_AUTH_MODES"] = "basic";
        env["CERTCTL_EST_PROFILE_BASIC_ENROLLMENT_PASSWORD"] = kBasicPassword;
        for (const char* kg : {"KG", "KGPLAIN"}) {
            env[std::string("CERTCTL_EST_PROFILE_") + kg + "_PROFILE_ID"] = "cp-keygen";
            env[std::string("CERTCTL_EST_PROFILE_") + kg + "_SERVERKEYGEN_ENABLED"] = "true";
        }
        env["CERTCTL_EST_PROFILE_KGPLAIN_SERVERKEYGEN_KEY_ENCRYPTION"] = "none";
        env["CERTCTL_EST_PROFILE_WIFI_MTLS_ENABLED"] = "true";
        env["CERTCTL_EST_PROFILE_WIFI_ALLOWED_AUTH_MODES"] = "mtls";
        env["CERTCTL_EST_PROFILE_WIFI_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH"] = p("boot-ca.crt");
        env["CERTCTL_EST_PROFILE_WIFI_CHANNEL_BINDING_REQUIRED"] = "true";
        return env;
    }

    // estctl with the server and trust anchor filled in; stderr merged.
    CommandResult estctl(const std::string& args, bool with_server = true) {
        const std::string server =
            with_server ? " --server " + daemon_.url("") + " --cacert pki/root-ca.crt" : "";
        const std::string verb = args.substr(0, args.find(' ', args.find(' ') + 1));
        const std::string rest = args.substr(verb.size());
        return run_command(
            "cd '" + dir_.string() + "' && " + ESTCTL_BINARY + " " + verb + server + rest + " 2>&1",
            std::chrono::seconds(60));
    }
    CommandResult estctl_ok(const std::string& args) {
        auto result = estctl(args);
        EXPECT_EQ(result.exit_code, 0) << "estctl " << args << "\n" << result.output;
        return result;
    }
    bool verifies(const std::string& cert) {
        return sh("openssl verify -CAfile pki/root-ca.crt -untrusted pki/ca.crt " + cert)
                   .find(cert + ": OK") != std::string::npos;
    }
    std::string x509(const std::string& cert, const std::string& what) {
        return sh("openssl x509 -in " + cert + " -noout " + what);
    }
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST_F(EstctlTest, CacertsEnrollReenrollOnTheLegacyRoot) {
    ASSERT_TRUE(daemon_.start(legacy_env())) << daemon_.log();

    estctl_ok("est cacerts --out chain.pem");
    EXPECT_EQ(sh("grep -c 'BEGIN CERTIFICATE' chain.pem"), "2\n");
    const auto chain =
        sh("openssl crl2pkcs7 -nocrl -certfile chain.pem | openssl pkcs7 "
           "-print_certs -noout");
    EXPECT_TRUE(contains(chain, "corp DEV-ONLY Issuing CA")) << chain;
    EXPECT_TRUE(contains(chain, "corp DEV-ONLY Root CA")) << chain;
    estctl_ok("est cacerts --der --out chain.p7b");
    EXPECT_TRUE(contains(sh("openssl pkcs7 -inform DER -in chain.p7b -print_certs -noout"),
                         "corp DEV-ONLY Issuing CA"));

    // A CSR built by estctl from --key and the name flags.
    const auto enrolled = estctl_ok(
        "est enroll --key device.key --cn device-7.example.com --serial SN-7 --dns "
        "device-7.example.com --ip 192.0.2.7 --out device.crt");
    EXPECT_TRUE(contains(enrolled.output, "issued serialNumber=SN-7,CN=device-7.example.com"))
        << enrolled.output;
    EXPECT_TRUE(verifies("device.crt"));
    EXPECT_TRUE(contains(x509("device.crt", "-subject"), "CN = device-7.example.com"));
    EXPECT_TRUE(contains(x509("device.crt", "-subject"), "serialNumber = SN-7"));
    EXPECT_TRUE(contains(x509("device.crt", "-ext subjectAltName"),
                         "DNS:device-7.example.com, IP Address:192.0.2.7"));
    EXPECT_EQ(x509("device.crt", "-pubkey"), sh("openssl pkey -in device.key -pubout"));

    // A CSR file, DER output.
    sh("openssl req -new -key device.key -subj '/CN=from-file' -out file.csr");
    estctl_ok("est enroll --csr file.csr --der --out file.der");
    EXPECT_TRUE(
        contains(sh("openssl x509 -inform DER -in file.der -noout -subject"), "CN = from-file"));

    // Renewal over mTLS with the certificate just issued; the CSR repeats its names.
    estctl_ok("est reenroll --cert device.crt --key device.key --out renewed.crt");
    EXPECT_TRUE(verifies("renewed.crt"));
    EXPECT_EQ(x509("renewed.crt", "-subject"), x509("device.crt", "-subject"));
    EXPECT_EQ(x509("renewed.crt", "-ext subjectAltName"),
              x509("device.crt", "-ext subjectAltName"));
    EXPECT_NE(x509("renewed.crt", "-serial"), x509("device.crt", "-serial"));

    // Without the client certificate the server refuses: 401 is exit 4, with its text.
    const auto anonymous = estctl("est reenroll --key device.key --cn device-7.example.com");
    EXPECT_EQ(anonymous.exit_code, 4) << anonymous.output;
    EXPECT_TRUE(contains(anonymous.output, "HTTP 401")) << anonymous.output;
}

// --if-remaining: a renewal cron runs often; only a due run reaches the
// server, and the certificate is replaced in place atomically.
TEST_F(EstctlTest, ReenrollIfRemainingRenewsOnlyWhenDue) {
    // Ten minutes: well above 50% remains (the boundary itself is the unit
    // tests' ClientRenewal.DueAtOrBelowTheThreshold).
    auto env = legacy_env();
    env["CERTCTL_EST_DEFAULT_TTL"] = "10m";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    estctl_ok("est enroll --key device.key --cn sensor-1 --serial SN-1 --out device.crt");
    const auto first = x509("device.crt", "-serial");

    const auto early = estctl_ok(
        "est reenroll --cert device.crt --key device.key --if-remaining 50% --out device.crt");
    EXPECT_TRUE(contains(early.output, "estctl: not due: ")) << early.output;
    EXPECT_TRUE(contains(early.output, "renewal at 50%; nothing sent")) << early.output;
    EXPECT_EQ(x509("device.crt", "-serial"), first);
    EXPECT_EQ(sh("grep -c est_simple_reenroll data/audit.log || true"), "0\n");

    const auto due = estctl_ok(
        "est reenroll --cert device.crt --key device.key --if-remaining 100 --out device.crt");
    EXPECT_TRUE(contains(due.output, "issued serialNumber=SN-1,CN=sensor-1")) << due.output;
    EXPECT_NE(x509("device.crt", "-serial"), first);
    EXPECT_TRUE(verifies("device.crt"));
    EXPECT_EQ(sh("ls | grep -c 'device.crt.tmp' || true"), "0\n");
    EXPECT_EQ(sh("grep -c est_simple_reenroll_success data/audit.log"), "1\n");

    for (const char* bad : {"0", "101%", "25 %", "x"}) {
        const auto refused = estctl(std::string("est reenroll --cert device.crt --key device.key "
                                                "--if-remaining '") +
                                    bad + "'");
        EXPECT_EQ(refused.exit_code, 2) << bad << "\n" << refused.output;
        EXPECT_TRUE(contains(refused.output, "percentage")) << refused.output;
    }
    const auto no_cert = estctl("est reenroll --key device.key --cn sensor-1 --if-remaining 25%");
    EXPECT_EQ(no_cert.exit_code, 2) << no_cert.output;
    EXPECT_TRUE(contains(no_cert.output, "--if-remaining needs --cert")) << no_cert.output;
}

TEST_F(EstctlTest, TestVerbPassesEveryStep) {
    ASSERT_TRUE(daemon_.start(legacy_env())) << daemon_.log();
    const auto result = estctl_ok("est test --profile ''");
    EXPECT_TRUE(contains(result.output, "PASS  cacerts")) << result.output;
    EXPECT_TRUE(contains(result.output, "PASS  csrattrs")) << result.output;
    EXPECT_TRUE(contains(result.output, "PASS  enroll")) << result.output;
    EXPECT_TRUE(contains(result.output, "PASS  reenroll")) << result.output;
    EXPECT_FALSE(contains(result.output, "FAIL")) << result.output;
}

TEST_F(EstctlTest, ExitCodesSayWhatWentWrong) {
    ASSERT_TRUE(daemon_.start(legacy_env())) << daemon_.log();

    // HTTP 4xx: 4, with the server's text.
    const auto missing = estctl("est cacerts --profile nosuch");
    EXPECT_EQ(missing.exit_code, 4) << missing.output;
    EXPECT_TRUE(contains(missing.output, "HTTP 404")) << missing.output;
    EXPECT_TRUE(contains(missing.output, "nosuch")) << missing.output;
    const auto fails = estctl("est test --profile nosuch");
    EXPECT_EQ(fails.exit_code, 4) << fails.output;
    EXPECT_TRUE(contains(fails.output, "FAIL  cacerts")) << fails.output;
    EXPECT_TRUE(contains(fails.output, "SKIP  reenroll")) << fails.output;

    // Network and TLS: 3.
    const auto closed = run_command(std::string(ESTCTL_BINARY) +
                                    " est cacerts --timeout 5 --server https://127.0.0.1:" +
                                    std::to_string(free_loopback_port()) + " 2>&1");
    EXPECT_EQ(closed.exit_code, 3) << closed.output;
    EXPECT_TRUE(contains(closed.output, "onnection refused")) << closed.output;
    const auto tls12 = estctl("est cacerts --tls-max 1.2");
    EXPECT_EQ(tls12.exit_code, 3) << tls12.output;
    EXPECT_TRUE(contains(tls12.output, "protocol version")) << tls12.output;
    make_dev_pki(dir_ / "other", "other");
    const auto untrusted = run_command("cd '" + dir_.string() + "' && " + ESTCTL_BINARY +
                                       " est cacerts --cacert other/root-ca.crt --server " +
                                       daemon_.url("") + " 2>&1");
    EXPECT_EQ(untrusted.exit_code, 3) << untrusted.output;
    EXPECT_TRUE(contains(untrusted.output, "certificate verify failed")) << untrusted.output;

    // Usage: 2.
    EXPECT_EQ(estctl("est enroll --cn x").exit_code, 2);  // nothing to build the CSR from
    EXPECT_EQ(estctl("est enroll --csr absent.csr").exit_code, 2);
    EXPECT_EQ(estctl("est cacerts --insecure").exit_code, 2);  // with --cacert
    EXPECT_EQ(estctl("est cacerts --server http://127.0.0.1:1", false).exit_code, 2);
    EXPECT_EQ(estctl("est cacerts --no-such-flag").exit_code, 2);
    EXPECT_EQ(estctl("est enroll --key device.key --cn x --channel-binding=sideways").exit_code, 2);
    EXPECT_EQ(run_command(std::string(ESTCTL_BINARY) + " 2>&1").exit_code, 2);

    // --insecure works for a first cacerts, loudly, with fingerprints to check.
    const auto insecure = estctl("est cacerts --insecure --server " + daemon_.url(""), false);
    EXPECT_EQ(insecure.exit_code, 0) << insecure.output;
    EXPECT_TRUE(contains(insecure.output, "WARNING: --insecure")) << insecure.output;
    EXPECT_TRUE(contains(insecure.output, "SHA-256 ")) << insecure.output;
}

TEST_F(EstctlTest, BasicAuthentication) {
    ASSERT_TRUE(daemon_.start(profiles_env())) << daemon_.log();
    const auto anonymous = estctl("est enroll --profile basic --key device.key --cn basic-1");
    EXPECT_EQ(anonymous.exit_code, 4) << anonymous.output;
    EXPECT_TRUE(contains(anonymous.output, "HTTP 401")) << anonymous.output;

    write_file(dir_ / "wrong.txt", "not-the-password\n");
    const auto wrong = estctl(
        "est enroll --profile basic --key device.key --cn basic-1 --user dev --password-file "
        "wrong.txt");
    EXPECT_EQ(wrong.exit_code, 4) << wrong.output;

    const auto right = estctl_ok(
        "est enroll --profile basic --key device.key --cn basic-1 --user dev --password-file "
        "password.txt -v --out basic.crt");
    EXPECT_TRUE(verifies("basic.crt"));
    EXPECT_FALSE(contains(right.output, kBasicPassword)) << right.output;
    EXPECT_FALSE(contains(read_file(dir_ / "data/audit.log"), kBasicPassword));
}

TEST_F(EstctlTest, ChannelBindingOnTls13AndTls12) {
    ASSERT_TRUE(daemon_.start(profiles_env())) << daemon_.log();
    const std::string wifi =
        "--profile wifi --est-mtls --cert laptop.crt --key laptop.key --csr-key device.key ";
    for (const char* mode : {"--channel-binding", "--channel-binding=attribute",
                             "--channel-binding=both", "--channel-binding --tls-max 1.2"}) {
        const auto result = estctl("est enroll " + wifi + "--cn wifi-1 -v " + mode);
        EXPECT_EQ(result.exit_code, 0) << mode << "\n" << result.output;
        const bool tls12 = contains(mode, "1.2");
        EXPECT_TRUE(
            contains(result.output, tls12 ? "tls-unique on TLSv1.2" : "tls-exporter on TLSv1.3"))
            << result.output;
    }
    // The profile requires a binding: without one the server says 400.
    const auto unbound = estctl("est enroll " + wifi + "--cn wifi-1");
    EXPECT_EQ(unbound.exit_code, 4) << unbound.output;
    EXPECT_TRUE(contains(unbound.output, "channel binding missing")) << unbound.output;
    // csrattrs tells the client to carry it in challengePassword.
    const auto attrs = estctl_ok(
        "est csrattrs --profile wifi --est-mtls --cert laptop.crt --key "
        "laptop.key");
    EXPECT_TRUE(contains(attrs.output, "challengePassword")) << attrs.output;
    // A --csr file cannot carry this connection's binding.
    sh("openssl req -new -key device.key -subj '/CN=wifi-1' -out wifi.csr");
    EXPECT_EQ(estctl("est enroll " + std::string("--profile wifi --est-mtls --cert laptop.crt "
                                                 "--key laptop.key --csr wifi.csr "
                                                 "--channel-binding"))
                  .exit_code,
              2);

    // The whole test verb over mTLS with binding, renewal included.
    const auto tested = estctl(
        "est test --profile wifi --est-mtls --cert laptop.crt --key "
        "laptop.key --channel-binding");
    EXPECT_EQ(tested.exit_code, 0) << tested.output;
    EXPECT_TRUE(contains(tested.output, "PASS  reenroll")) << tested.output;
}

TEST_F(EstctlTest, ServerKeygenWritesCertificateAndKeyFiles) {
    ASSERT_TRUE(daemon_.start(profiles_env())) << daemon_.log();
    // CMS mode: the key comes enveloped to the CSR's RSA key.
    estctl_ok(
        "est serverkeygen --profile kg --key rsa.key --cn keygen-1 --out kg --decrypt-key "
        "rsa.key");
    EXPECT_TRUE(verifies("kg.cert.pem"));
    EXPECT_TRUE(contains(x509("kg.cert.pem", "-subject"), "CN = keygen-1"));
    EXPECT_TRUE(fs::exists(dir_ / "kg.key.enveloped"));
    EXPECT_EQ(fs::status(dir_ / "kg.key.pem").permissions() & fs::perms::others_read,
              fs::perms::none);
    const std::string cert_key = x509("kg.cert.pem", "-pubkey");
    EXPECT_EQ(sh("openssl pkey -in kg.key.pem -pubout"), cert_key);
    EXPECT_NE(sh("openssl pkey -in rsa.key -pubout"), cert_key);  // a new key, not the CSR's
    // The enveloped blob is a standard CMS EnvelopedData.
    EXPECT_EQ(sh("openssl cms -decrypt -inform DER -in kg.key.enveloped -inkey rsa.key -binary | "
                 "openssl pkey -inform DER -pubout"),
              cert_key);
    // Without --decrypt-key only the enveloped key is written.
    estctl_ok("est serverkeygen --profile kg --key rsa.key --cn keygen-2 --out kg2");
    EXPECT_TRUE(fs::exists(dir_ / "kg2.key.enveloped"));
    EXPECT_FALSE(fs::exists(dir_ / "kg2.key.pem"));

    // Plain mode: PKCS#8 over TLS, any CSR key.
    estctl_ok("est serverkeygen --profile kgplain --key device.key --cn keygen-3 --out plain");
    EXPECT_EQ(sh("openssl pkey -in plain.key.pem -pubout"), x509("plain.cert.pem", "-pubkey"));
    EXPECT_FALSE(fs::exists(dir_ / "plain.key.enveloped"));

    // CMS mode refuses an EC CSR key, and says why.
    const auto ec = estctl("est serverkeygen --profile kg --key device.key --cn keygen-4 --out ec");
    EXPECT_EQ(ec.exit_code, 4) << ec.output;
    EXPECT_TRUE(contains(ec.output, "RSA")) << ec.output;
    EXPECT_EQ(estctl("est serverkeygen --profile kg --key rsa.key --cn x").exit_code,
              2);  // no --out
}

}  // namespace
}  // namespace estd::testing
