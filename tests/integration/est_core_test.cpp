// The daemon end to end: real estd process, real curl and openssl clients.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

class EstCoreTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-core");
        make_dev_pki(dir_ / "pki", "corp");
    }

    Daemon::Environment legacy_env() const {
        return {
            {"CERTCTL_EST_ENABLED", "true"},
            {"CERTCTL_EST_ISSUER_ID", "iss-local"},
            {"CERTCTL_CA_CERT_PATH", (dir_ / "pki/ca-chain.crt").string()},
            {"CERTCTL_CA_KEY_PATH", (dir_ / "pki/ca.key").string()},
            {"CERTCTL_SERVER_TLS_CERT_PATH", (dir_ / "pki/tls.crt").string()},
            {"CERTCTL_SERVER_TLS_KEY_PATH", (dir_ / "pki/tls.key").string()},
            {"CERTCTL_DATA_DIR", (dir_ / "data").string()},
        };
    }
};

TEST_F(EstCoreTest, GuideQuickStartStepsFourAndFive) {
    ASSERT_TRUE(daemon_.start(legacy_env())) << daemon_.log();

    // Step 4, verbatim but for host, port and CA path.
    const std::string step4 = sh("curl -sS --cacert " + cacert() + " \\\n  " + host() +
                                 "/.well-known/est/cacerts \\\n"
                                 "  | base64 -d | openssl pkcs7 -inform DER -print_certs -noout");
    EXPECT_NE(step4.find("CN = corp DEV-ONLY Issuing CA"), std::string::npos) << step4;
    EXPECT_NE(step4.find("CN = corp DEV-ONLY Root CA"), std::string::npos) << step4;

    // Step 5, verbatim but for host, port and CA path.
    sh("openssl ecparam -name prime256v1 -genkey -noout -out device.key");
    sh("openssl req -new -key device.key -subj \"/CN=device-001.example.com\" -out device.csr");
    sh("curl -sS --cacert " + cacert() +
       " \\\n"
       "  -H \"Content-Type: application/pkcs10\" \\\n"
       "  --data-binary @<(openssl req -in device.csr -outform DER | base64 -w0) \\\n  " +
       host() +
       "/.well-known/est/simpleenroll \\\n"
       "  | base64 -d | openssl pkcs7 -inform DER -print_certs > device.crt");

    // The chain from cacerts verifies the issued certificate.
    sh("curl -sS --cacert " + cacert() + " " + host() +
       "/.well-known/est/cacerts | base64 -d | openssl pkcs7 -inform DER -print_certs > chain.pem");
    EXPECT_NE(sh("openssl verify -CAfile " + cacert() + " -untrusted chain.pem device.crt")
                  .find("device.crt: OK"),
              std::string::npos);
    // Subject and public key are the CSR's; the certificate is not a CA.
    EXPECT_NE(sh("openssl x509 -in device.crt -noout -subject").find("CN = device-001.example.com"),
              std::string::npos);
    EXPECT_EQ(sh("openssl x509 -in device.crt -noout -pubkey"),
              sh("openssl req -in device.csr -noout -pubkey"));
    const std::string ext = sh("openssl x509 -in device.crt -noout -ext basicConstraints");
    EXPECT_NE(ext.find("CA:FALSE"), std::string::npos) << ext;

    // Re-enroll over mTLS with the issued certificate: same subject passes.
    const std::string reenroll_ok =
        sh("curl -sS -o renewed.b64 -w '%{http_code}' --cacert " + cacert() +
           " --cert device.crt --key device.key -H 'Content-Type: application/pkcs10'"
           " --data-binary @<(openssl req -new -key device.key -subj '/CN=device-001.example.com'"
           " -outform DER | base64 -w0) " +
           host() + "/.well-known/est/simplereenroll");
    EXPECT_EQ(reenroll_ok, "200");
    sh("base64 -d renewed.b64 | openssl pkcs7 -inform DER -print_certs > renewed.crt");
    EXPECT_NE(sh("openssl x509 -in renewed.crt -noout -subject").find("device-001.example.com"),
              std::string::npos);

    // Another subject is refused with 400.
    const std::string reenroll_other =
        sh("curl -sS -o other.txt -w '%{http_code}' --cacert " + cacert() +
           " --cert device.crt --key device.key -H 'Content-Type: application/pkcs10'"
           " --data-binary @<(openssl req -new -key device.key -subj '/CN=someone-else'"
           " -outform DER | base64 -w0) " +
           host() + "/.well-known/est/simplereenroll");
    EXPECT_EQ(reenroll_other, "400");
    EXPECT_NE(read_file(dir_ / "other.txt").find("subject"), std::string::npos);

    // Without a client certificate, re-enrollment is refused.
    EXPECT_EQ(sh("curl -sS -o /dev/null -w '%{http_code}' --cacert " + cacert() +
                 " -H 'Content-Type: application/pkcs10' --data-binary "
                 "@<(openssl req -in device.csr -outform DER | base64 -w0) " +
                 host() + "/.well-known/est/simplereenroll"),
              "401");

    // Every outcome is in the audit log.
    const std::string audit = read_file(dir_ / "data/audit.log");
    EXPECT_NE(audit.find("\"action\":\"est_simple_enroll_success\""), std::string::npos) << audit;
    EXPECT_NE(audit.find("\"action\":\"est_simple_reenroll_success\""), std::string::npos);
    EXPECT_NE(audit.find("\"action\":\"est_simple_reenroll_failed\""), std::string::npos);
    EXPECT_NE(audit.find("device-001.example.com"), std::string::npos);
}

// RFC 7030 §4.1.3: during a root key update cacerts also carries the new root
// and the OldWithNew / NewWithOld link certificates, which the operator names
// in CERTCTL_CA_ROLLOVER_CERTS_PATH; the boot checks they are genuine links.
TEST_F(EstCoreTest, CacertsPublishesRootKeyUpdateCertificates) {
    sh("printf '[link]\\nbasicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,"
       "cRLSign\\nsubjectKeyIdentifier=hash\\nauthorityKeyIdentifier=keyid\\n' > link.cnf");
    sh("openssl ecparam -name prime256v1 -genkey -noout -out new-root.key");
    sh("openssl req -new -x509 -key new-root.key -subj '/CN=corp Root CA G2' -days 3650 "
       "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign "
       "-out new-root.crt");
    // NewWithOld: the new key signed by the old root; OldWithNew: the old root's key
    // (and subject) signed by the new one.
    sh("openssl req -new -key new-root.key -subj '/CN=corp Root CA G2' -out nwo.csr && "
       "openssl x509 -req -in nwo.csr -CA pki/root-ca.crt -CAkey pki/root-ca.key -set_serial 71 "
       "-days 3650 -extfile link.cnf -extensions link -out new-with-old.crt 2>/dev/null");
    sh("openssl x509 -x509toreq -in pki/root-ca.crt -signkey pki/root-ca.key -out own.csr && "
       "openssl x509 -req -in own.csr -CA new-root.crt -CAkey new-root.key -set_serial 72 "
       "-days 3650 -extfile link.cnf -extensions link -out old-with-new.crt 2>/dev/null");

    // Appended to the chain file, they are refused: that is what the setting is for.
    sh("cat pki/ca-chain.crt new-with-old.crt old-with-new.crt > appended.crt");
    auto env = legacy_env();
    env["CERTCTL_CA_CERT_PATH"] = (dir_ / "appended.crt").string();
    auto refused = Daemon::run_once(env, "serve");
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.output.find("did not issue certificate #2"), std::string::npos)
        << refused.output;

    // A certificate that links nothing refuses the boot, naming the file.
    sh("openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
       "/dev/null -subj '/CN=Stranger' -days 30 -out stranger.crt 2>/dev/null");
    sh("cat new-root.crt new-with-old.crt old-with-new.crt stranger.crt > bad-rollover.crt");
    env = legacy_env();
    env["CERTCTL_CA_ROLLOVER_CERTS_PATH"] = (dir_ / "bad-rollover.crt").string();
    refused = Daemon::run_once(env, "serve");
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.output.find("bad-rollover.crt"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("CN=Stranger"), std::string::npos) << refused.output;

    sh("cat new-root.crt new-with-old.crt old-with-new.crt > rollover.crt");
    env = legacy_env();
    env["CERTCTL_CA_ROLLOVER_CERTS_PATH"] = (dir_ / "rollover.crt").string();
    const auto described = Daemon::run_once(env, "check-config");
    EXPECT_EQ(described.exit_code, 0) << described.output;
    EXPECT_NE(described.output.find("rollover certificates: " + (dir_ / "rollover.crt").string()),
              std::string::npos)
        << described.output;
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    sh("curl -sS --cacert " + cacert() + " " + host() +
       "/.well-known/est/cacerts | base64 -d | openssl pkcs7 -inform DER -print_certs > all.pem");
    const auto all = read_file(dir_ / "all.pem");
    for (const auto* file :
         {"pki/ca-chain.crt", "new-root.crt", "new-with-old.crt", "old-with-new.crt"}) {
        const auto pem = sh("openssl x509 -in " + std::string(file) + " -outform PEM");
        EXPECT_NE(all.find(pem), std::string::npos) << file << "\n" << all;
    }
    EXPECT_EQ(sh("grep -c 'BEGIN CERTIFICATE' all.pem"), "5\n");
    // A client that already trusts only the new root reaches the old chain
    // through OldWithNew.
    sh("openssl ecparam -name prime256v1 -genkey -noout -out device.key && openssl req -new -key "
       "device.key -subj '/CN=rollover-device' -outform DER | base64 -w0 > device.b64");
    sh("curl -sS --cacert " + cacert() +
       " -H 'Content-Type: application/pkcs10' --data-binary @device.b64 " + host() +
       "/.well-known/est/simpleenroll | base64 -d | openssl pkcs7 -inform DER -print_certs > "
       "device.crt");
    sh("cat pki/ca.crt old-with-new.crt > via-new.pem");
    EXPECT_NE(sh("openssl verify -CAfile new-root.crt -untrusted via-new.pem device.crt")
                  .find("device.crt: OK"),
              std::string::npos);
}

TEST_F(EstCoreTest, RoutesStatusCodes) {
    ASSERT_TRUE(daemon_.start(legacy_env())) << daemon_.log();
    auto status = [&](const std::string& args, const std::string& path) {
        return sh("curl -sS -o /dev/null -w '%{http_code}' --cacert " + cacert() + " " + args +
                  " " + host() + path);
    };
    EXPECT_EQ(status("", "/.well-known/est/nosuchop"), "404");
    EXPECT_EQ(status("", "/.well-known/est/corp/cacerts"), "404");
    EXPECT_EQ(status("", "/.well-known/est-mtls/cacerts"), "404");
    EXPECT_EQ(status("-X POST", "/.well-known/est/cacerts"), "405");
    EXPECT_EQ(status("", "/.well-known/est/simpleenroll"), "405");
    EXPECT_EQ(status("-X POST --data-binary x", "/.well-known/est/fullcmc"), "501");
    EXPECT_EQ(status("", "/.well-known/est/csrattrs"), "200");  // the baseline's key algorithms
    EXPECT_EQ(status("", "/healthz"), "200");
    EXPECT_EQ(status("", "/readyz"), "200");
    EXPECT_EQ(status("-H 'Content-Type: application/pkcs10' --data-binary 'not base64 !!'",
                     "/.well-known/est/simpleenroll"),
              "400");
}

// logrotate's default (move the file aside, then SIGHUP): the next lines go
// to a new audit.log, none is lost or written to both.
// Each refused enrollment is an audit line (a successful cacerts is only
// counted, and summarized at shutdown: see the next test).
TEST_F(EstCoreTest, SighupReopensARotatedAuditLog) {
    ASSERT_TRUE(daemon_.start(legacy_env())) << daemon_.log();
    const auto refused = [&] {
        return sh("curl -sS -o /dev/null -w '%{http_code}' --cacert " + cacert() +
                  " -H 'Content-Type: application/pkcs10' --data-binary not-a-csr " + host() +
                  "/.well-known/est/simpleenroll");
    };
    const auto lines_in = [&](const char* name) {
        const auto text = read_file(dir_ / "data" / name);
        return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    };
    ASSERT_EQ(refused(), "400");
    fs::rename(dir_ / "data/audit.log", dir_ / "data/audit.log.1");
    ASSERT_EQ(refused(), "400");  // still into the file estd has open
    daemon_.send_signal(SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (daemon_.log().find("SIGHUP: audit log ") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_NE(daemon_.log().find("SIGHUP: audit log "), std::string::npos) << daemon_.log();
    ASSERT_EQ(refused(), "400");
    ASSERT_EQ(refused(), "400");
    EXPECT_EQ(lines_in("audit.log.1"), 2U);
    EXPECT_EQ(lines_in("audit.log"), 2U);
    EXPECT_NE(read_file(dir_ / "data/audit.log").find("\"action\":\"est_simple_enroll_failed\""),
              std::string::npos);
}

// A successful cacerts or csrattrs is not a line of its own: the daemon
// writes one summary line per profile and operation (every minute, and at
// shutdown) with how many it answered. An enrollment keeps its line.
TEST_F(EstCoreTest, SuccessfulCacertsAreSummarizedNotAuditedEach) {
    ASSERT_TRUE(daemon_.start(legacy_env())) << daemon_.log();
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(sh("curl -sS -o /dev/null -w '%{http_code}' --cacert " + cacert() + " " + host() +
                     "/.well-known/est/cacerts"),
                  "200");
    }
    EXPECT_EQ(read_file(dir_ / "data/audit.log").find("est_cacerts_success"), std::string::npos);
    EXPECT_EQ(daemon_.stop(), 0) << daemon_.log();
    const auto audit = read_file(dir_ / "data/audit.log");
    EXPECT_EQ(std::count(audit.begin(), audit.end(), '\n'), 1) << audit;
    EXPECT_NE(audit.find("\"action\":\"est_cacerts_success\""), std::string::npos) << audit;
    EXPECT_NE(audit.find("\"actor\":\"estd: summary of successful answers\""), std::string::npos)
        << audit;
    EXPECT_NE(audit.find("\"reason\":\"3 answered since the previous summary\""), std::string::npos)
        << audit;
}

}  // namespace
}  // namespace estd::testing
