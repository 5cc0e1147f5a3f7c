// Interop suite (docs/interop.md): the real estd against the EST clients
// operators run (Cisco libest's estclient, strongSwan's pki), and estd's own
// clients (estctl, estd-bench) against libest's example server. libest is
// built from ../shared/thirdparty/libest by tests/interop/build-libest.sh
// (the ctest fixture interop_libest_build), never downloaded.
//
// Each case asserts the real outcome on every output file: a certificate is
// parsed, verified to the CA and its key compared; a key is parsed and
// matched to its certificate. estclient exits 0 even when the operation
// failed, so its files are the result.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "interop-enroll-s3cret";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string libest_binary(const std::string& name) {
    return std::string(ESTD_LIBEST_DIR) + "/bin/" + name;
}

class InteropTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-interop");
        make_dev_pki(dir_ / "pki", "interop");
        write_file(dir_ / "password", std::string(kPassword) + "\n");
    }
    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "---- estd log ----\n" << daemon_.log() << "\n";
        }
        daemon_.stop();
        fs::remove_all(dir_);
    }

    // Runs `command` in the test directory, stderr merged.
    CommandResult run(const std::string& command,
                      std::chrono::seconds timeout = std::chrono::seconds(120)) {
        return run_command("cd '" + dir_.string() + "' && { " + command + "\n} 2>&1", timeout);
    }
    std::string sh(const std::string& command) {
        auto result = run(command);
        EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
        return result.output;
    }
    std::string file(const std::string& name) const {
        return fs::exists(dir_ / name) ? read_file(dir_ / name) : std::string();
    }

    // The certificates of a PKCS#7 certs-only file (base64 or DER) as PEM in
    // `pem`; the number of certificates.
    int pkcs7_to_pem(const std::string& p7, const std::string& pem) {
        sh("if head -c 2 " + p7 + " | grep -q '^MI'; then base64 -d " + p7 + "; else cat " + p7 +
           "; fi | openssl pkcs7 -inform DER -print_certs -out " + pem);
        return std::stoi(sh("grep -c 'BEGIN CERTIFICATE' " + pem + " || true"));
    }

    // `pem` (its first certificate) verifies to `root` through `untrusted`
    // and names `cn`.
    void expect_issued(const std::string& pem, const std::string& cn,
                       const std::string& root = "pki/root-ca.crt",
                       const std::string& untrusted = "pki/ca.crt") {
        const auto verified =
            run("openssl verify -CAfile " + root + " -untrusted " + untrusted + " " + pem);
        EXPECT_TRUE(contains(verified.output, pem + ": OK")) << verified.output;
        const auto subject = sh("openssl x509 -in " + pem + " -noout -subject");
        EXPECT_TRUE(contains(subject, "CN = " + cn)) << subject;
    }
    // The private key in `key` (PEM or DER, any form openssl pkey reads) is
    // the one `cert` carries.
    void expect_key_matches(const std::string& cert, const std::string& key) {
        const auto from_key = run("openssl pkey -in " + key + " -pubout");
        ASSERT_EQ(from_key.exit_code, 0) << from_key.output;
        EXPECT_EQ(from_key.output, sh("openssl x509 -in " + cert + " -noout -pubkey"));
    }

    fs::path dir_;
    Daemon daemon_;
};

// ------------------------------------------------------------- libest client

// One profile, `corp`: Basic, serverkeygen with a plain RSA-2048 key (libest
// takes RSA keys only, and plain PKCS#8), a certificate profile whose
// csrattrs is not empty; TLS 1.2 allowed (libest's maximum). `corp` is also
// the default profile, served without a label.
class LibestClientTest : public InteropTest {
  protected:
    void SetUp() override {
        InteropTest::SetUp();
        auto env = dev_pki_environment(dir_);
        const std::string cp = "CERTCTL_CERT_PROFILE_CP_RSA_";
        const std::string corp = "CERTCTL_EST_PROFILE_CORP_";
        env.insert({
            {"CERTCTL_SERVER_TLS_MIN_VERSION", "1.2"},
            {"CERTCTL_CERT_PROFILES", "cp-rsa"},
            {cp + "ALLOWED_KEY_ALGORITHMS", "RSA-2048,EC-P256"},
            {cp + "ALLOWED_EKUS", "clientAuth"},
            {"CERTCTL_EST_PROFILES", "corp"},
            {"CERTCTL_EST_DEFAULT_PROFILE", "corp"},
            {corp + "PROFILE_ID", "cp-rsa"},
            {corp + "ALLOWED_AUTH_MODES", "basic"},
            {corp + "ENROLLMENT_PASSWORD", kPassword},
            {corp + "SERVERKEYGEN_ENABLED", "true"},
            {corp + "SERVERKEYGEN_KEY_ENCRYPTION", "none"},
        });
        ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
        sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out device.key");
    }

    // estclient with the trust anchor, server, credentials and `label` (none
    // when empty); its output files go to `out`.
    std::string estclient(const std::string& args, const std::string& out,
                          const std::string& label = "corp") {
        sh("rm -rf " + out + " && mkdir -p " + out);
        return sh("EST_OPENSSL_CACERT=pki/root-ca.crt " + libest_binary("estclient") +
                  " -s 127.0.0.1 -p " + std::to_string(daemon_.port()) +
                  (label.empty() ? "" : " --path-seg " + label) + " -u device -h " + kPassword +
                  " -o " + out + " " + args);
    }

    // Enrolls `cn` with device.key into `out`/cert.pem.
    void enroll(const std::string& cn, const std::string& out, const std::string& flags = "-e",
                const std::string& label = "corp") {
        const auto log = estclient(flags + " -x device.key --common-name " + cn, out, label);
        ASSERT_TRUE(fs::exists(dir_ / out / "cert-0-0.pkcs7")) << log;
        ASSERT_EQ(pkcs7_to_pem(out + "/cert-0-0.pkcs7", out + "/cert.pem"), 1) << log;
        expect_issued(out + "/cert.pem", cn);
        expect_key_matches(out + "/cert.pem", "device.key");
    }

    void expect_cacerts(const std::string& label) {
        const auto log = estclient("-g", "ca", label);
        ASSERT_TRUE(fs::exists(dir_ / "ca/cacert-0-0.pkcs7")) << log;
        ASSERT_EQ(pkcs7_to_pem("ca/cacert-0-0.pkcs7", "ca/chain.pem"), 2) << log;
        EXPECT_EQ(sh("openssl x509 -in ca/chain.pem -outform PEM"),
                  sh("openssl x509 -in pki/ca.crt -outform PEM"));
        EXPECT_TRUE(contains(sh("openssl crl2pkcs7 -nocrl -certfile ca/chain.pem | openssl pkcs7 "
                                "-print_certs -noout"),
                             "CN = interop DEV-ONLY Root CA"));
    }
};

TEST_F(LibestClientTest, Cacerts) {
    expect_cacerts("corp");
}

TEST_F(LibestClientTest, EnrollWithBasic) {
    enroll("libest-basic", "basic");
    EXPECT_TRUE(contains(file("data/audit.log"), "\"action\":\"est_simple_enroll_success\""));
}

// -z puts tls-unique (RFC 7030 §3.5) in challengePassword; estd verifies a
// binding that is present even where the profile does not require one.
TEST_F(LibestClientTest, EnrollWithTlsUniqueProofOfPossession) {
    enroll("libest-bound", "bound", "-e -z");
    const auto audit = file("data/audit.log");
    EXPECT_TRUE(contains(audit, "\"action\":\"est_simple_enroll_success\"")) << audit;
    EXPECT_FALSE(contains(audit, "est_auth_failed_channel_binding")) << audit;
}

TEST_F(LibestClientTest, ReenrollOverMutualTls) {
    enroll("libest-renew", "first");
    const auto log = estclient(
        "-r -c first/cert.pem -k device.key -x device.key --common-name libest-renew", "renewed");
    ASSERT_TRUE(fs::exists(dir_ / "renewed/cert-0-0.pkcs7")) << log << file("data/audit.log");
    ASSERT_EQ(pkcs7_to_pem("renewed/cert-0-0.pkcs7", "renewed/cert.pem"), 1) << log;
    expect_issued("renewed/cert.pem", "libest-renew");
    expect_key_matches("renewed/cert.pem", "device.key");
    EXPECT_NE(sh("openssl x509 -in renewed/cert.pem -noout -serial"),
              sh("openssl x509 -in first/cert.pem -noout -serial"));
    EXPECT_TRUE(contains(file("data/audit.log"), "\"action\":\"est_simple_reenroll_success\""));
}

TEST_F(LibestClientTest, ServerkeygenRsa) {
    const auto log = estclient("-q -x device.key --common-name libest-keygen", "keygen");
    ASSERT_TRUE(fs::exists(dir_ / "keygen/cert-0-0.pkcs7")) << log;
    ASSERT_EQ(pkcs7_to_pem("keygen/cert-0-0.pkcs7", "keygen/cert.pem"), 1) << log;
    expect_issued("keygen/cert.pem", "libest-keygen");
    // The key file: PKCS#8, base64 or PEM as libest writes it.
    std::string key_file;
    for (const auto& entry : fs::directory_iterator(dir_ / "keygen")) {
        if (entry.path().filename().string().rfind("key-0-0", 0) == 0) {
            key_file = "keygen/" + entry.path().filename().string();
        }
    }
    ASSERT_FALSE(key_file.empty()) << log;
    sh("if grep -q 'BEGIN' " + key_file + "; then cp " + key_file +
       " keygen/key.pem; else base64 -d " + key_file + " > keygen/key.der && openssl pkey " +
       "-inform DER -in keygen/key.der -out keygen/key.pem; fi");
    expect_key_matches("keygen/cert.pem", "keygen/key.pem");
    EXPECT_TRUE(contains(sh("openssl pkey -in keygen/key.pem -noout -text"), "2048 bit"));
    // A key of the server's, not the CSR's.
    EXPECT_NE(sh("openssl pkey -in keygen/key.pem -pubout"),
              sh("openssl pkey -in device.key -pubout"));
}

TEST_F(LibestClientTest, Csrattrs) {
    const auto log = estclient("-a", "attrs");
    ASSERT_TRUE(fs::exists(dir_ / "attrs/csr-0-0.base64")) << log;
    const auto parsed = sh("base64 -d attrs/csr-0-0.base64 | openssl asn1parse -inform DER -i");
    for (const char* needle :
         {":rsaEncryption", ":Extension Request", ":X509v3 Extended Key Usage"}) {
        EXPECT_TRUE(contains(parsed, needle)) << needle << "\n" << parsed;
    }
}

// Without --path-seg: /.well-known/est/<op>, the default profile
// (CERTCTL_EST_DEFAULT_PROFILE, RFC 7030 §3.2.2).
TEST_F(LibestClientTest, DefaultProfileWithoutALabel) {
    expect_cacerts("");
    enroll("libest-default", "default", "-e", "");
}

// ---------------------------------------------------------- strongSwan pki

// strongSwan's pki appends /.well-known/est/<op> to its URL: it reaches the
// default profile only (CERTCTL_EST_DEFAULT_PROFILE). Keys are RSA: Debian's
// pki has no openssl plugin and signs with its own RSA code.
class StrongSwanTest : public InteropTest {
  protected:
    void SetUp() override {
        InteropTest::SetUp();
        auto env = dev_pki_environment(dir_);
        env.insert({
            // strongSwan's own TLS stack (pki --est) fails against a TLS 1.3-only listener.
            {"CERTCTL_SERVER_TLS_MIN_VERSION", "1.2"},
            {"CERTCTL_EST_PROFILES", "corp"},
            {"CERTCTL_EST_DEFAULT_PROFILE", "corp"},
            {"CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES", "basic"},
            {"CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD", kPassword},
        });
        ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    }

    std::string url() const { return "https://127.0.0.1:" + std::to_string(daemon_.port()); }

    // A key and a PKCS#10 request for `cn` made by pki itself.
    void make_request(const std::string& name, const std::string& cn, bool new_key = true) {
        if (new_key) {
            sh("pki --gen --type rsa --size 2048 --outform pem > " + name + ".key");
        }
        sh("pki --req --type priv --in " + name + ".key --dn 'CN=" + cn + "' --outform pem > " +
           name + ".csr");
    }
};

TEST_F(StrongSwanTest, Estca) {
    const auto result = run("pki --estca --url " + url() +
                            " --cacert pki/root-ca.crt --caout ca.pem --outform pem");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    // pki stores the issuing CA as ca.pem and the rest as ca-<n>.pem.
    ASSERT_TRUE(fs::exists(dir_ / "ca.pem")) << result.output << sh("ls");
    EXPECT_EQ(sh("cat ca*.pem | grep -c 'BEGIN CERTIFICATE'"), "2\n") << result.output;
    EXPECT_TRUE(contains(sh("cat ca*.pem"), sh("openssl x509 -in pki/ca.crt -outform PEM")));
    EXPECT_TRUE(contains(sh("cat ca*.pem"), sh("openssl x509 -in pki/root-ca.crt -outform PEM")));
}

TEST_F(StrongSwanTest, EnrollWithUserpassThenRenewWithTheCertificate) {
    make_request("device", "strongswan-device");
    const auto enrolled =
        run("pki --est --url " + url() +
            " --cacert pki/root-ca.crt --in device.csr --userpass device:" + kPassword +
            " --outform pem > device.crt");
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.output;
    expect_issued("device.crt", "strongswan-device");
    expect_key_matches("device.crt", "device.key");

    // Renewal: simplereenroll authenticated with the certificate being
    // renewed (and the profile's Basic password), a new key, the same subject.
    make_request("renewed", "strongswan-device");
    const auto renewed =
        run("pki --est --url " + url() +
            " --cacert pki/root-ca.crt --in renewed.csr --cert device.crt --key device.key "
            "--userpass device:" +
            kPassword + " --outform pem > renewed.crt");
    ASSERT_EQ(renewed.exit_code, 0) << renewed.output;
    expect_issued("renewed.crt", "strongswan-device");
    expect_key_matches("renewed.crt", "renewed.key");
    EXPECT_TRUE(contains(file("data/audit.log"), "\"action\":\"est_simple_reenroll_success\""));
}

// ------------------------------------------- estctl and estd-bench vs libest

// libest's example server (bound to 127.0.0.1 by build-libest.sh) with the CA
// its createCA.sh makes, HTTP Basic estuser/estpwd, TLS 1.2.
class LibestServerTest : public InteropTest {
  protected:
    void SetUp() override {
        InteropTest::SetUp();
        const std::string source = std::string(ESTD_LIBEST_DIR) + "/src/example/server/";
        sh("mkdir -p server && cp " + source + "*.cnf " + source + "*.sh server/");
        const auto created = run("cd server && bash ./createCA.sh", std::chrono::seconds(120));
        ASSERT_EQ(created.exit_code, 0) << created.output;
        write_file(dir_ / "estpwd", "estpwd\n");
        port_ = free_loopback_port();
        // Started through bash so the test can stop it by its process id.
        const auto started = run(
            "cd server && { EST_TRUSTED_CERTS=trustedcerts.crt EST_CACERTS_RESP=estCA/cacert.crt "
            "EST_OPENSSL_CACONFIG=estExampleCA.cnf " +
            libest_binary("estserver") +
            " -c estCA/private/estservercertandkey.pem -k estCA/private/estservercertandkey.pem "
            "-r estrealm -p " +
            std::to_string(port_) +
            " > estserver.log 2>&1 < /dev/null & echo $! > estserver.pid; }");
        ASSERT_EQ(started.exit_code, 0) << started.output;
        for (int i = 0; i < 100; ++i) {
            if (run("curl -s -o /dev/null --cacert server/estCA/cacert.crt https://127.0.0.1:" +
                    std::to_string(port_) + "/.well-known/est/cacerts")
                    .exit_code == 0) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL() << "estserver did not answer\n" << file("server/estserver.log");
    }
    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "---- estserver log ----\n" << file("server/estserver.log") << "\n";
        }
        const auto pid = file("server/estserver.pid");
        if (!pid.empty()) {
            run("kill " + pid.substr(0, pid.find('\n')));
        }
        InteropTest::TearDown();
    }

    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

    CommandResult estctl(const std::string& verb, const std::string& args) {
        return run(std::string(ESTCTL_BINARY) + " " + verb + " --server " + url() +
                   " --cacert server/estCA/cacert.crt --tls-max 1.2 " + args);
    }

    unsigned short port_ = 0;
};

TEST_F(LibestServerTest, EstctlCacertsEnrollReenrollServerkeygen) {
    auto result = estctl("est cacerts", "--out chain.pem");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(sh("openssl x509 -in chain.pem -outform PEM"),
              sh("openssl x509 -in server/estCA/cacert.crt -outform PEM"));

    sh("openssl ecparam -name prime256v1 -genkey -noout -out device.key");
    result = estctl("est enroll",
                    "--user estuser --password-file estpwd --key device.key --cn estctl-device "
                    "--out device.crt");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    expect_issued("device.crt", "estctl-device", "server/estCA/cacert.crt",
                  "server/estCA/cacert.crt");
    expect_key_matches("device.crt", "device.key");

    result = estctl("est reenroll",
                    "--user estuser --password-file estpwd --cert device.crt "
                    "--key device.key --out renewed.crt");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    expect_issued("renewed.crt", "estctl-device", "server/estCA/cacert.crt",
                  "server/estCA/cacert.crt");
    expect_key_matches("renewed.crt", "device.key");

    result = estctl("est serverkeygen",
                    "--user estuser --password-file estpwd --key device.key "
                    "--cn estctl-keygen --out keygen");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    expect_issued("keygen.cert.pem", "estctl-keygen", "server/estCA/cacert.crt",
                  "server/estCA/cacert.crt");
    expect_key_matches("keygen.cert.pem", "keygen.key.pem");
}

TEST_F(LibestServerTest, EveryBenchScenarioWithoutErrors) {
    for (const char* scenario : {"cacerts-keepalive", "enroll-new-conn", "enroll-keepalive",
                                 "reenroll-mtls", "reenroll-mtls-keepalive", "handshake"}) {
        SCOPED_TRACE(scenario);
        const auto result = run(std::string(ESTD_BENCH_BINARY) + " --url " + url() +
                                " --cacert server/estCA/cacert.crt --tls 1.2 --user estuser "
                                "--password-file estpwd --json --scenario " +
                                scenario + " -c 2 -n 10 --pool-size 4");
        EXPECT_EQ(result.exit_code, 0) << result.output;
        const auto json = nlohmann::json::parse(result.output, nullptr, false);
        if (json.is_discarded()) {
            ADD_FAILURE() << result.output;
            continue;
        }
        EXPECT_EQ(json.value("requests_ok", 0), 10) << json.dump(2);
        EXPECT_EQ(json["errors"].value("total", 1), 0) << json.dump(2);
    }
}

}  // namespace
}  // namespace estd::testing
