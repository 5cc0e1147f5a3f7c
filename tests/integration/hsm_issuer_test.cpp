// The pkcs11 issuer against a SoftHSM2 token, through the real daemon: an
// ECDSA P-256 and an RSA-3072 CA key that never leave the token, boot
// refusals, concurrency, and a token that goes away and comes back.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "estd/issuer/crl_signer.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/crl.hpp"
#include "estd/pki/pkcs7.hpp"
#include "support/daemon_test.hpp"
#include "support/softhsm.hpp"
#include "support/test_pki.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

// One token for the whole suite: generating an RSA-3072 key takes seconds.
struct SharedToken {
    fs::path dir;
    std::unique_ptr<SoftHsmToken> token;
    ~SharedToken() {
        if (!dir.empty()) {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    }
};

SharedToken& shared_token() {
    static SharedToken shared;
    if (!shared.token) {
        shared.dir = make_temp_dir("estd-hsm-token");
        shared.token = std::make_unique<SoftHsmToken>(shared.dir);
        shared.token->generate_key("ca-ec", "01", "EC:prime256v1");
        shared.token->generate_key("ca-rsa", "02", "rsa:3072");
        write_file(shared.dir / "ca-ec.crt",
                   shared.token->self_signed_ca_pem("ca-ec", "estd HSM test EC CA"));
        write_file(shared.dir / "ca-rsa.crt",
                   shared.token->self_signed_ca_pem("ca-rsa", "estd HSM test RSA CA"));
        write_file(shared.dir / "pin", std::string(SoftHsmToken::kPin) + "\n");
    }
    return shared;
}

class HsmIssuerTest : public DaemonTest {
  protected:
    void SetUp() override {
        if (const auto reason = softhsm_unavailable_reason(); !reason.empty()) {
            // CI installs softhsm2 and opensc: there a missing tool is a failure.
            if (std::getenv("CI") != nullptr) {
                FAIL() << reason;
            }
            GTEST_SKIP() << reason;
        }
        token_ = &shared_token();
        dir_ = make_temp_dir("estd-hsm");
        make_dev_pki(dir_ / "pki", "tls");
    }

    std::string token_file(const std::string& name) const { return (token_->dir / name).string(); }

    // Profiles "ec" and "rsa", bound to issuers on the token's two keys.
    Daemon::Environment hsm_env() const {
        return {
            {"CERTCTL_EST_ENABLED", "true"},
            {"CERTCTL_EST_PROFILES", "ec,rsa"},
            {"CERTCTL_ISSUERS", "iss-hsm-ec,iss-hsm-rsa"},
            {"CERTCTL_ISSUER_ISS_HSM_EC_TYPE", "pkcs11"},
            {"CERTCTL_ISSUER_ISS_HSM_EC_CA_CERT_PATH", token_file("ca-ec.crt")},
            {"CERTCTL_ISSUER_ISS_HSM_EC_PKCS11_URI", token_->token->uri("ca-ec")},
            {"CERTCTL_ISSUER_ISS_HSM_EC_PKCS11_PIN_FILE", token_file("pin")},
            {"CERTCTL_ISSUER_ISS_HSM_RSA_TYPE", "pkcs11"},
            {"CERTCTL_ISSUER_ISS_HSM_RSA_CA_CERT_PATH", token_file("ca-rsa.crt")},
            {"CERTCTL_ISSUER_ISS_HSM_RSA_PKCS11_URI", token_->token->uri("ca-rsa")},
            {"CERTCTL_ISSUER_ISS_HSM_RSA_PKCS11_PIN_ENV", "ESTD_TEST_HSM_PIN"},
            {"ESTD_TEST_HSM_PIN", SoftHsmToken::kPin},
            {"CERTCTL_EST_PROFILE_EC_ISSUER_ID", "iss-hsm-ec"},
            {"CERTCTL_EST_PROFILE_RSA_ISSUER_ID", "iss-hsm-rsa"},
            {"CERTCTL_SERVER_TLS_CERT_PATH", (dir_ / "pki/tls.crt").string()},
            {"CERTCTL_SERVER_TLS_KEY_PATH", (dir_ / "pki/tls.key").string()},
            {"CERTCTL_DATA_DIR", (dir_ / "data").string()},
            {"SOFTHSM2_CONF", token_->token->conf_path()},
        };
    }

    std::string curl_prefix() const {
        return "curl -sS --max-time 30 --cacert " + (dir_ / "pki/root-ca.crt").string() + " ";
    }
    // Enrolls `name` on `profile`; returns the HTTP status, the body in name.p7b64.
    std::string enroll(const std::string& profile, const std::string& name) {
        sh("test -f " + name + ".key || openssl ecparam -name prime256v1 -genkey -noout -out " +
           name + ".key");
        sh("openssl req -new -key " + name + ".key -subj '/CN=" + name +
           ".example.com' -outform DER | base64 -w0 > " + name + ".csr.b64");
        return sh(curl_prefix() + "-o " + name + ".p7b64 -w '%{http_code}' " +
                  "-H 'Content-Type: application/pkcs10' --data-binary @" + name + ".csr.b64 " +
                  daemon_.url("/.well-known/est/" + profile + "/simpleenroll"));
    }
    std::string http_status(const std::string& path) {
        return sh(curl_prefix() + "-o /dev/null -w '%{http_code}' " + daemon_.url(path));
    }

    SharedToken* token_ = nullptr;
};

TEST_F(HsmIssuerTest, EnrollsOnEcAndRsaTokenKeysWhichStayNonExtractable) {
    ASSERT_TRUE(daemon_.start(hsm_env())) << daemon_.log();
    EXPECT_EQ(http_status("/readyz"), "200");

    const struct {
        const char* profile;
        const char* ca;
        const char* signature;
    } cases[] = {{"ec", "ca-ec.crt", "ecdsa-with-SHA256"},
                 {"rsa", "ca-rsa.crt", "sha256WithRSAEncryption"}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.profile);
        const std::string device = std::string("device-") + c.profile;
        ASSERT_EQ(enroll(c.profile, device), "200") << read_file(dir_ / (device + ".p7b64"));
        sh("base64 -d " + device + ".p7b64 | openssl pkcs7 -inform DER -print_certs > " + device +
           ".crt");
        // The chain published by cacerts verifies the certificate.
        sh(curl_prefix() + daemon_.url(std::string("/.well-known/est/") + c.profile + "/cacerts") +
           " | base64 -d | openssl pkcs7 -inform DER -print_certs > " + c.profile + "-chain.pem");
        EXPECT_EQ(
            sh("openssl x509 -in " + std::string(c.profile) + "-chain.pem -noout -fingerprint"),
            sh("openssl x509 -in " + token_file(c.ca) + " -noout -fingerprint"));
        EXPECT_NE(
            sh("openssl verify -CAfile " + token_file(c.ca) + " " + device + ".crt").find(": OK"),
            std::string::npos);
        const auto text = sh("openssl x509 -in " + device + ".crt -noout -text");
        EXPECT_NE(text.find(c.signature), std::string::npos) << text;
        EXPECT_NE(text.find(std::string("CN = ") + device + ".example.com"), std::string::npos);
    }

    // Both private keys are still sensitive and have never been extractable.
    const auto objects = token_->token->tool("--list-objects --type privkey");
    ASSERT_EQ(objects.exit_code, 0) << objects.output;
    std::istringstream lines(objects.output);
    std::string line;
    int never_extractable = 0;
    while (std::getline(lines, line)) {
        if (line.find("Access:") != std::string::npos) {
            EXPECT_NE(line.find("sensitive"), std::string::npos) << line;
            EXPECT_NE(line.find("never extractable"), std::string::npos) << line;
            never_extractable += line.find("never extractable") != std::string::npos ? 1 : 0;
        }
    }
    EXPECT_EQ(never_extractable, 2) << objects.output;
}

TEST_F(HsmIssuerTest, WrongPinRefusesTheBoot) {
    write_file(dir_ / "wrong-pin", "9999\n");
    auto env = hsm_env();
    env["CERTCTL_ISSUER_ISS_HSM_EC_PKCS11_PIN_FILE"] = (dir_ / "wrong-pin").string();
    env["ESTD_TEST_HSM_PIN"] = "9999";
    const auto result = Daemon::run_once(env, "serve");
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_NE(result.output.find("iss-hsm-ec"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("wrong PIN"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("CKR_PIN_INCORRECT"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("9999"), std::string::npos) << "the PIN is never printed";
}

TEST_F(HsmIssuerTest, WrongKeyLabelRefusesTheBoot) {
    auto env = hsm_env();
    env["CERTCTL_ISSUER_ISS_HSM_RSA_PKCS11_URI"] = token_->token->uri("no-such-key");
    const auto result = Daemon::run_once(env, "check-config");
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_NE(result.output.find("iss-hsm-rsa"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("key not found"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("\"no-such-key\""), std::string::npos) << result.output;
    // The keys that are there are listed, to spot the typo.
    EXPECT_NE(result.output.find("\"ca-rsa\" id 02"), std::string::npos) << result.output;
}

TEST_F(HsmIssuerTest, OtherBootRefusalsNameTheProblem) {
    const auto refused = [&](const std::string& variable, const std::string& value,
                             const std::vector<std::string>& expected) {
        auto env = hsm_env();
        env[variable] = value;
        const auto result = Daemon::run_once(env, "check-config");
        EXPECT_EQ(result.exit_code, 2) << result.output;
        for (const auto& part : expected) {
            EXPECT_NE(result.output.find(part), std::string::npos)
                << "expected '" << part << "' in:\n"
                << result.output;
        }
    };
    const std::string uri_var = "CERTCTL_ISSUER_ISS_HSM_EC_PKCS11_URI";
    refused(uri_var, token_->token->uri("ca-ec", "/nonexistent/libvendor-pkcs11.so"),
            {"iss-hsm-ec", "cannot load the PKCS#11 module /nonexistent/libvendor-pkcs11.so"});
    refused(uri_var, token_->token->uri("ca-ec", token_file("ca-ec.crt")),
            {"iss-hsm-ec", "cannot load the PKCS#11 module", "not a loadable library"});
    refused(uri_var, "pkcs11:token=no-such-token;object=ca-ec?module-path=" + softhsm_module(),
            {"iss-hsm-ec", "token not found", "\"no-such-token\"", "\"estd-test\""});
    // The EC CA certificate with the RSA token key.
    refused("CERTCTL_ISSUER_ISS_HSM_RSA_CA_CERT_PATH", token_file("ca-ec.crt"),
            {"iss-hsm-rsa", "does not match the CA certificate"});

    // And a configuration that is right is accepted.
    const auto ok = Daemon::run_once(hsm_env(), "check-config");
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("session pool: 4"), std::string::npos) << ok.output;
}

TEST_F(HsmIssuerTest, TwoHundredConcurrentEnrollmentsThroughTheTokenAllSucceed) {
    auto env = hsm_env();
    env["CERTCTL_SERVER_THREADS"] = "8";
    env["CERTCTL_ISSUER_ISS_HSM_EC_PKCS11_POOL_SIZE"] = "4";
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    // 8 workers x 25 enrollments, alternating the EC and RSA profiles.
    for (int w = 0; w < 8; ++w) {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out w" + std::to_string(w) +
           ".key && openssl req -new -key w" + std::to_string(w) + ".key -subj '/CN=worker-" +
           std::to_string(w) + ".example.com' -outform DER | base64 -w0 > w" + std::to_string(w) +
           ".csr.b64");
    }
    sh("mkdir -p out");
    const std::string worker =
        "for i in $(seq 1 25); do "
        "p=$([ $(( (w + i) % 2 )) -eq 0 ] && echo ec || echo rsa); " +
        curl_prefix() + "-o out/$w-$i.b64 -w '%{http_code}\\n' " +
        "-H 'Content-Type: application/pkcs10' --data-binary @w$w.csr.b64 " +
        "https://127.0.0.1:" + std::to_string(daemon_.port()) +
        "/.well-known/est/$p/simpleenroll >> codes-$w.txt; done";
    const auto started = std::chrono::steady_clock::now();
    sh("for w in 0 1 2 3 4 5 6 7; do ( w=$w; " + worker + " ) & done; wait",
       std::chrono::seconds(300));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const auto codes = sh("cat codes-*.txt | sort | uniq -c");
    EXPECT_EQ(sh("cat codes-*.txt | grep -c '^200$'"), "200\n") << codes;
    // 200 distinct certificates, each verifying under its profile's CA.
    auto ec_ca = pki::load_certificates_file(token_file("ca-ec.crt"));
    auto rsa_ca = pki::load_certificates_file(token_file("ca-rsa.crt"));
    ASSERT_TRUE(ec_ca.ok() && rsa_ca.ok());
    std::set<std::string> serials;
    int verified = 0;
    for (const auto& entry : fs::directory_iterator(dir_ / "out")) {
        const auto der = pki::base64_decode_lenient(read_file(entry.path()));
        ASSERT_TRUE(der.has_value()) << entry.path();
        auto certs = pki::parse_certs_only_der(*der);
        ASSERT_TRUE(certs.ok() && certs->size() == 1) << entry.path();
        X509* cert = certs->front().get();
        serials.insert(pki::serial_hex(cert));
        const bool by_ec = test::verify_certificate(cert, ec_ca->front().get()) == X509_V_OK;
        const bool by_rsa = test::verify_certificate(cert, rsa_ca->front().get()) == X509_V_OK;
        verified += by_ec != by_rsa ? 1 : 0;
    }
    EXPECT_EQ(serials.size(), 200u);
    EXPECT_EQ(verified, 200);
    std::cerr << "200 enrollments in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
    EXPECT_EQ(http_status("/readyz"), "200");
}

TEST_F(HsmIssuerTest, RemovedTokenAnswers503AndRecoversWithoutRestart) {
    const auto control = dir_ / "token-state";
    write_file(control, "present\n");
    auto env = hsm_env();
    env["CERTCTL_ISSUER_ISS_HSM_EC_PKCS11_URI"] = token_->token->uri("ca-ec", fault_module());
    env["CERTCTL_ISSUER_ISS_HSM_RSA_PKCS11_URI"] = token_->token->uri("ca-rsa", fault_module());
    env["ESTD_FAULT_PKCS11_TARGET"] = softhsm_module();
    env["ESTD_FAULT_PKCS11_CONTROL"] = control.string();
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    ASSERT_EQ(enroll("ec", "before"), "200");
    ASSERT_EQ(http_status("/readyz"), "200");

    // The token is pulled out: signing fails, the client is told why.
    write_file(control, "removed\n");
    EXPECT_EQ(enroll("ec", "during"), "503");
    const auto body = read_file(dir_ / "during.p7b64");
    EXPECT_NE(body.find("iss-hsm-ec"), std::string::npos) << body;
    EXPECT_NE(body.find("token \"estd-test\" is unavailable"), std::string::npos) << body;
    EXPECT_NE(body.find("CKR_DEVICE_REMOVED"), std::string::npos) << body;
    EXPECT_EQ(http_status("/readyz"), "503");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    EXPECT_EQ(enroll("rsa", "during-rsa"), "503");  // a recovery is tried and fails
    EXPECT_NE(read_file(dir_ / "during-rsa.p7b64").find("token not found"), std::string::npos)
        << read_file(dir_ / "during-rsa.p7b64");

    // Put back: its old sessions are gone and it is logged out; estd
    // re-opens and logs in by itself.
    write_file(control, "present\n");
    std::string ready;
    for (int i = 0; i < 50 && ready != "200"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ready = http_status("/readyz");
    }
    EXPECT_EQ(ready, "200");
    for (const char* profile : {"ec", "rsa"}) {
        const std::string device = std::string("after-") + profile;
        ASSERT_EQ(enroll(profile, device), "200") << read_file(dir_ / (device + ".p7b64"));
        sh("base64 -d " + device + ".p7b64 | openssl pkcs7 -inform DER -print_certs > " + device +
           ".crt");
        EXPECT_NE(sh("openssl verify -CAfile " + token_file(std::string("ca-") + profile + ".crt") +
                     " " + device + ".crt")
                      .find(": OK"),
                  std::string::npos);
    }
    const auto log = daemon_.log();
    EXPECT_NE(log.find("re-opened"), std::string::npos) << log;
}

// The issuer in this process, without the daemon.
class HsmIssuerInProcessTest : public HsmIssuerTest {
  protected:
    config::IssuerConfig issuer_config(const std::string& label) const {
        config::IssuerConfig cfg;
        cfg.id = "iss-" + label;
        cfg.type = "pkcs11";
        cfg.ca_cert_path = token_file(label + ".crt");
        cfg.pkcs11_uri = token_->token->uri(label);
        cfg.pkcs11_pin_file = token_file("pin");
        return cfg;
    }

    static pki::CertificateTemplate leaf_template(const std::string& common_name) {
        pki::CertificateTemplate tmpl;
        tmpl.subject.reset(X509_NAME_new());
        X509_NAME_add_entry_by_txt(tmpl.subject.get(), "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0);
        tmpl.public_key = test::make_ec_key();
        tmpl.not_before = std::chrono::system_clock::now() - std::chrono::minutes(5);
        tmpl.not_after = tmpl.not_before + std::chrono::hours(24);
        return tmpl;
    }
};

TEST_F(HsmIssuerInProcessTest, LendsTheTokenKeyForCrlSigning) {
    for (const std::string label : {"ca-ec", "ca-rsa"}) {
        SCOPED_TRACE(label);
        auto issuer = issuer::make_issuer(issuer_config(label));
        ASSERT_TRUE(issuer.ok()) << issuer.error().message;
        EXPECT_TRUE((*issuer)->ready());
        X509* ca = (*issuer)->ca_certificate();
        auto signer = issuer::crl_signing(**issuer);
        ASSERT_TRUE(signer.ok()) << signer.error().message;
        pki::Bytes der;
        const auto signed_crl = signer->with_signing_key([&](EVP_PKEY* key) -> Status {
            pki::CrlContent content;
            content.number = 7;
            content.this_update = std::chrono::system_clock::now();
            content.next_update = content.this_update + std::chrono::hours(1);
            content.revoked.push_back({"0a1b2c", content.this_update, 1});
            auto crl = pki::build_crl(content, ca, key);
            if (!crl) {
                return std::move(crl).take_error();
            }
            der = std::move(crl).value();
            return Ok{};
        });
        ASSERT_TRUE(signed_crl.ok()) << signed_crl.error().message;
        const unsigned char* p = der.data();
        pki::OpenSslPtr<X509_CRL, X509_CRL_free> crl(
            d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
        ASSERT_TRUE(crl);
        EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)), 1);
    }
}

TEST_F(HsmIssuerInProcessTest, IssuesFromManyThreadsAtOnce) {
    auto cfg = issuer_config("ca-rsa");
    cfg.pkcs11_pool_size = 4;
    auto issuer = issuer::make_issuer(cfg);
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    std::vector<std::thread> threads;
    std::atomic<int> issued{0};
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                auto cert = (*issuer)->issue(
                    leaf_template("t" + std::to_string(t) + "-" + std::to_string(i)));
                if (cert.ok() && test::verify_certificate(
                                     cert->get(), (*issuer)->ca_certificate()) == X509_V_OK) {
                    ++issued;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(issued.load(), 80);
    EXPECT_TRUE((*issuer)->ready());
}

TEST_F(HsmIssuerInProcessTest, ReadsThePinFromAFileWithCrlfOrFromAVariable) {
    write_file(dir_ / "pin-crlf", std::string(SoftHsmToken::kPin) + "\r\n");
    auto from_file = issuer_config("ca-ec");
    from_file.pkcs11_pin_file = (dir_ / "pin-crlf").string();
    auto issuer = issuer::make_issuer(from_file);
    EXPECT_TRUE(issuer.ok()) << issuer.error().message;

    ::setenv("ESTD_TEST_IN_PROCESS_PIN", SoftHsmToken::kPin, 1);
    auto from_env = issuer_config("ca-rsa");
    from_env.pkcs11_pin_file.clear();
    from_env.pkcs11_pin_env = "ESTD_TEST_IN_PROCESS_PIN";
    auto second = issuer::make_issuer(from_env);
    EXPECT_TRUE(second.ok()) << second.error().message;

    write_file(dir_ / "empty-pin", "\n");
    auto empty = issuer_config("ca-ec");
    empty.pkcs11_pin_file = (dir_ / "empty-pin").string();
    auto refused = issuer::make_issuer(empty);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("is empty"), std::string::npos);
}

TEST_F(HsmIssuerInProcessTest, IssuersOnOneTokenNeedTheSamePin) {
    auto first = issuer::make_issuer(issuer_config("ca-ec"));
    ASSERT_TRUE(first.ok()) << first.error().message;
    write_file(dir_ / "other-pin", "4321\n");
    auto cfg = issuer_config("ca-rsa");
    cfg.pkcs11_pin_file = (dir_ / "other-pin").string();
    auto second = issuer::make_issuer(cfg);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message.find("different PIN"), std::string::npos)
        << second.error().message;
    EXPECT_EQ(second.error().message.find("4321"), std::string::npos);
}

}  // namespace
}  // namespace estd::testing
