// Recipe: a TLS 1.2 reverse proxy for legacy clients
// (docs/recipes/tls12-proxy.md). Debian's nginx, started by the test with
// the recipe's configuration (deploy/recipes/tls12-proxy/), terminates TLS
// 1.2, forwards to estd over TLS 1.3 and passes the client certificate in
// X-SSL-Client-Cert; libest's estclient (TLS 1.2 only, built by the interop
// fixture) enrolls and renews through it.
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "recipes/recipe_support.hpp"
#include "support/audit_log.hpp"
#include "support/daemon.hpp"
#include "support/nginx.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
using recipes::contains;
using recipes::source_path;

constexpr const char* kDocument = "docs/recipes/tls12-proxy.md";
constexpr const char* kRecipe = "deploy/recipes/tls12-proxy";
constexpr const char* kTemplate = "deploy/recipes/tls12-proxy/estd-tls12.conf.template";
constexpr const char* kEstdEnv = "deploy/recipes/tls12-proxy/estd.env";
constexpr const char* kPassword = "proxy-enroll-s3cret";

TEST(Tls12ProxyRecipe, TheDocumentQuotesTheFilesTheTestRuns) {
    recipes::expect_document_quotes(kDocument, kRecipe);
    // The render command, as this test runs it.
    EXPECT_TRUE(contains(read_file(source_path(kDocument)),
                         "deploy/recipes/render.sh " + std::string(kTemplate) + " \\\n"));
}

class Tls12ProxyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (const auto reason = nginx_unavailable_reason(); !reason.empty()) {
            if (std::getenv("CI") != nullptr) {
                FAIL() << reason;
            }
            GTEST_SKIP() << reason;
        }
        dir_ = make_temp_dir("estd-tls12-proxy");
        make_dev_pki(dir_ / "pki", "proxy");
        // The fleet's bootstrap CA and one device certificate from it.
        sh("openssl ecparam -name prime256v1 -genkey -noout -out bootstrap-ca.key");
        sh("openssl req -x509 -new -key bootstrap-ca.key -subj '/CN=bootstrap CA' -days 30 "
           "-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign "
           "-out bootstrap-ca.crt");
        sh("printf 'extendedKeyUsage=clientAuth\\n' > client.ext");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out factory.key");
        sh("openssl req -new -key factory.key -subj '/CN=factory-7' | openssl x509 -req -CA "
           "bootstrap-ca.crt -CAkey bootstrap-ca.key -CAcreateserial -days 30 -extfile "
           "client.ext -out factory.crt 2>/dev/null");
        sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out device.key");

        // estd: the development PKI plus the recipe's settings.
        auto env = dev_pki_environment(dir_);
        ASSERT_NO_FATAL_FAILURE(
            recipes::render(source_path(kEstdEnv).string(), dir_ / "estd.env",
                            {{"CORP_ENROLLMENT_PASSWORD", kPassword},
                             {"CORP_BOOTSTRAP_CA", (dir_ / "bootstrap-ca.crt").string()}}));
        for (const auto& [name, value] : recipes::read_environment_file(dir_ / "estd.env")) {
            env[name] = value;
        }
        ASSERT_TRUE(estd_.start(env)) << estd_.log();

        // nginx: the recipe's server block inside a main configuration that
        // keeps everything in the test directory.
        proxy_port_ = free_loopback_port();
        const fs::path nginx_dir = dir_ / "nginx";
        fs::create_directories(nginx_dir);
        ASSERT_NO_FATAL_FAILURE(recipes::render(
            source_path(kTemplate).string(), nginx_dir / "estd-tls12.conf",
            {{"ESTD_ADDRESS", "127.0.0.1:" + std::to_string(estd_.port())},
             {"ESTD_TLS_CA", p("pki/root-ca.crt")},
             {"ESTD_TLS_NAME", "localhost"},
             {"PROXY_LISTEN", "127.0.0.1:" + std::to_string(proxy_port_)},
             {"PROXY_TLS_CERT", estd_.environment().at("CERTCTL_SERVER_TLS_CERT_PATH")},
             {"PROXY_TLS_KEY", estd_.environment().at("CERTCTL_SERVER_TLS_KEY_PATH")}}));
        const std::string d = nginx_dir.string();
        write_file(nginx_dir / "nginx.conf",
                   "worker_processes 1;\n"
                   "pid " +
                       d +
                       "/nginx.pid;\n"
                       "events { worker_connections 64; }\n"
                       "http {\n"
                       "    access_log " +
                       d +
                       "/access.log;\n"
                       "    client_body_temp_path " +
                       d +
                       "/tmp/client_body;\n"
                       "    proxy_temp_path " +
                       d +
                       "/tmp/proxy;\n"
                       "    fastcgi_temp_path " +
                       d +
                       "/tmp/fastcgi;\n"
                       "    uwsgi_temp_path " +
                       d +
                       "/tmp/uwsgi;\n"
                       "    scgi_temp_path " +
                       d +
                       "/tmp/scgi;\n"
                       "    include " +
                       d +
                       "/estd-tls12.conf;\n"
                       "}\n");
        nginx_ = std::make_unique<Nginx>(nginx_dir);
        ASSERT_TRUE(nginx_->start(nginx_dir / "nginx.conf", proxy_port_)) << nginx_->log();
    }
    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "---- estd log ----\n" << estd_.log() << "\n";
            if (nginx_) {
                std::cerr << nginx_->log() << "\n";
            }
        }
        nginx_.reset();
        estd_.stop();
        if (!dir_.empty()) {
            fs::remove_all(dir_);
        }
    }

    std::string p(const std::string& rel) const { return (dir_ / rel).string(); }
    CommandResult run(const std::string& command) {
        return run_command("cd '" + dir_.string() + "' && { " + command + "\n} 2>&1",
                           std::chrono::seconds(120));
    }
    std::string sh(const std::string& command) {
        auto result = run(command);
        EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
        return result.output;
    }

    // libest's estclient against the proxy; its files go to `out`.
    std::string estclient(const std::string& args, const std::string& out) {
        sh("rm -rf " + out + " && mkdir -p " + out);
        return sh("EST_OPENSSL_CACERT=pki/root-ca.crt " + std::string(ESTD_LIBEST_DIR) +
                  "/bin/estclient -s 127.0.0.1 -p " + std::to_string(proxy_port_) +
                  " --path-seg corp -u device -h " + kPassword + " -o " + out + " " + args);
    }
    // The certificates of a base64 or DER PKCS#7 file as PEM; their number.
    int pkcs7_to_pem(const std::string& p7, const std::string& pem) {
        sh("if head -c 2 " + p7 + " | grep -q '^MI'; then base64 -d " + p7 + "; else cat " + p7 +
           "; fi | openssl pkcs7 -inform DER -print_certs -out " + pem);
        return std::stoi(sh("grep -c 'BEGIN CERTIFICATE' " + pem + " || true"));
    }
    // curl through the proxy (TLS 1.2 at most, from `from`) or, with
    // `direct`, to estd itself; the status code, the body in `body`.
    std::string curl(const std::string& args, const std::string& path, std::string* body,
                     bool direct = false) {
        const std::string url =
            direct ? estd_.url(path) : "https://127.0.0.1:" + std::to_string(proxy_port_) + path;
        const std::string status =
            sh("curl -sS --cacert pki/root-ca.crt -o reply.txt -w "
               "'%{http_code}' " +
               args + " " + url);
        *body = read_file(dir_ / "reply.txt");
        return status;
    }
    std::vector<nlohmann::json> audit_rows() const {
        return read_audit_rows(dir_ / "data/audit.log");
    }
    nlohmann::json last_row() const {
        const auto rows = audit_rows();
        return rows.empty() ? nlohmann::json::object() : rows.back();
    }

    fs::path dir_;
    Daemon estd_;
    std::unique_ptr<Nginx> nginx_;
    unsigned short proxy_port_ = 0;
};

// The acceptance: estclient through nginx (cacerts, enroll with
// Basic, reenroll with its certificate), and the header sent to estd
// directly from an address that is not the proxy refused.
TEST_F(Tls12ProxyTest, EstclientEnrollsAndRenewsThroughTheProxy) {
    // estd itself speaks only TLS 1.3: the reason for the proxy.
    const auto refused = run("curl -sS --tls-max 1.2 --cacert pki/root-ca.crt " +
                             estd_.url("/.well-known/est/corp/cacerts"));
    EXPECT_NE(refused.exit_code, 0) << refused.output;

    auto log = estclient("-g", "ca");
    ASSERT_TRUE(fs::exists(dir_ / "ca/cacert-0-0.pkcs7")) << log;
    EXPECT_EQ(pkcs7_to_pem("ca/cacert-0-0.pkcs7", "ca/chain.pem"), 2) << log;

    log = estclient("-e -x device.key --common-name legacy-1", "first");
    ASSERT_TRUE(fs::exists(dir_ / "first/cert-0-0.pkcs7")) << log << estd_.log();
    ASSERT_EQ(pkcs7_to_pem("first/cert-0-0.pkcs7", "first/cert.pem"), 1);
    EXPECT_TRUE(contains(sh("openssl verify -CAfile pki/root-ca.crt -untrusted pki/ca.crt "
                            "first/cert.pem"),
                         "first/cert.pem: OK"));
    auto row = last_row();
    EXPECT_EQ(row["action"], "est_simple_enroll_success") << row;

    // Renewal: estclient presents its certificate to nginx over TLS 1.2;
    // estd receives it in X-SSL-Client-Cert.
    log = estclient("-r -c first/cert.pem -k device.key -x device.key --common-name legacy-1",
                    "renewed");
    ASSERT_TRUE(fs::exists(dir_ / "renewed/cert-0-0.pkcs7")) << log << estd_.log();
    ASSERT_EQ(pkcs7_to_pem("renewed/cert-0-0.pkcs7", "renewed/cert.pem"), 1);
    EXPECT_NE(sh("openssl x509 -in renewed/cert.pem -noout -serial"),
              sh("openssl x509 -in first/cert.pem -noout -serial"));
    row = last_row();
    EXPECT_EQ(row["action"], "est_simple_reenroll_success") << row;
    EXPECT_TRUE(contains(row.value("subject", ""), "CN=legacy-1")) << row;

    // The same certificate in the header, sent to estd directly from an
    // address that is not the proxy: 401, audited.
    std::string body;
    const std::string header =
        "-H \"X-SSL-Client-Cert: $(python3 -c 'import sys, urllib.parse; "
        "print(urllib.parse.quote(open(sys.argv[1]).read(), safe=\"\"))' "
        "renewed/cert.pem)\" ";
    sh("openssl req -new -key device.key -subj '/CN=legacy-1' -outform DER | base64 -w0 > "
       "renew.b64");
    EXPECT_EQ(curl("--interface 127.0.0.2 " + header +
                       "-H 'Content-Type: application/pkcs10' --data-binary @renew.b64",
                   "/.well-known/est/corp/simplereenroll", &body, true),
              "401")
        << body;
    EXPECT_TRUE(contains(body, "not a trusted proxy")) << body;
    row = last_row();
    EXPECT_EQ(row["action"], "est_auth_failed_mtls") << row;
    EXPECT_EQ(row["source_ip"], "127.0.0.2") << row;
}

// est-mtls through the proxy with a factory certificate, from a client
// address of its own (127.0.0.3): the audit row names that client, and a
// header the client forges itself never reaches estd.
TEST_F(Tls12ProxyTest, MutualTlsThroughTheProxyNamesTheRealClient) {
    sh("openssl req -new -key device.key -subj '/CN=sensor-9' -outform DER | base64 -w0 > "
       "csr.b64");
    const std::string enroll = "/.well-known/est-mtls/corp/simpleenroll";
    const std::string csr = "-H 'Content-Type: application/pkcs10' --data-binary @csr.b64 ";
    std::string body;
    EXPECT_EQ(
        curl("--tls-max 1.2 --interface 127.0.0.3 --cert factory.crt --key factory.key " + csr,
             enroll, &body),
        "200")
        << body;
    auto row = last_row();
    EXPECT_EQ(row["action"], "est_simple_enroll_success") << row;
    EXPECT_EQ(row["source_ip"], "127.0.0.3") << row;

    // No certificate: refused. A forged header in its place: dropped by nginx.
    EXPECT_EQ(curl("--tls-max 1.2 " + csr, enroll, &body), "401") << body;
    EXPECT_TRUE(contains(body, "none was presented")) << body;
    const std::string forged =
        "-H \"X-SSL-Client-Cert: $(python3 -c 'import sys, "
        "urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), "
        "safe=\"\"))' factory.crt)\" ";
    EXPECT_EQ(curl("--tls-max 1.2 " + forged + csr, enroll, &body), "401") << body;
    EXPECT_TRUE(contains(body, "none was presented")) << body;
    // A certificate of another CA: estd's bundle decides, not nginx.
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
       "stranger.key -subj '/CN=stranger' -days 1 -out stranger.crt 2>/dev/null");
    EXPECT_EQ(curl("--tls-max 1.2 --cert stranger.crt --key stranger.key " + csr, enroll, &body),
              "401")
        << body;
    EXPECT_EQ(last_row()["action"], "est_auth_failed_mtls");
}

}  // namespace
}  // namespace estd::testing
