// docs/recipes/wifi-8021x.md run as written: estd with the recipe's
// estd.env, FreeRADIUS (the Debian package, its own instance on a free
// loopback port) with the recipe's eap module and sites, the device's
// scripts driving estctl, and eapol_test playing the access point and the
// supplicant with the recipe's peer.conf. Every file comes from
// deploy/recipes/wifi-8021x/ through deploy/recipes/render.sh, and the
// document must quote each of them exactly.
#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <netinet/in.h>
#include <ostream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "recipe_support.hpp"
#include "support/process.hpp"

namespace estd::testing::recipes {
namespace {

constexpr const char* kRecipe = "deploy/recipes/wifi-8021x";
constexpr const char* kRadiusSecret = "access-point-radius-secret";
constexpr const char* kEnrollmentPassword = "radius-enrollment-s3cret";
constexpr const char* kAdminKey = "netops-admin-key-0123456789abcdef";
constexpr const char* kRadiusName = "radius.wifi.example.net";
// Where Debian's freeradius package puts the daemon (/usr/sbin is not on
// every user's PATH); eapol_test is in /usr/bin.
constexpr const char* kFreeRadius = "/usr/sbin/freeradius";

unsigned short free_udp_loopback_port() {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

// `freeradius -f -X -d DIR`: the test's own server in the foreground, as the
// current user, its debug log in a file (what the troubleshooting table reads).
class FreeRadius {
  public:
    FreeRadius() = default;
    ~FreeRadius() { stop(); }
    FreeRadius(const FreeRadius&) = delete;
    FreeRadius& operator=(const FreeRadius&) = delete;

    bool start(const fs::path& raddb) {
        log_ = raddb / "radius.log";
        pid_ = spawn({kFreeRadius, "-f", "-X", "-d", raddb.string()}, log_);
        if (wait_until_ready(pid_, std::chrono::seconds(20),
                             [this] { return contains(log(), "Ready to process requests"); })) {
            return true;
        }
        if (pid_ < 0) {
            return false;
        }
        stop();
        return false;
    }
    void stop() {
        if (pid_ <= 0) {
            return;
        }
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    std::string log() const { return fs::exists(log_) ? read_file(log_) : std::string(); }

  private:
    pid_t pid_ = -1;
    fs::path log_;
};

enum class Radius { accept, reject, other };

// For gtest's messages: Access-Accept rather than "4-byte object".
std::ostream& operator<<(std::ostream& out, Radius answer) {
    return out << (answer == Radius::accept   ? "Access-Accept"
                   : answer == Radius::reject ? "Access-Reject"
                                              : "neither Accept nor Reject");
}

class Wifi8021xRecipeTest : public RecipeTest {
  protected:
    Wifi8021xRecipeTest() : RecipeTest(kRecipe, kAdminKey, "EST_PASSWORD_FILE=radius/password") {}

    void SetUp() override {
        // scripts/install-deps.sh installs both; skipped only where they are
        // missing outside CI, as the PostgreSQL and HSM tests are.
        if (access(kFreeRadius, X_OK) != 0 || run_command("command -v eapol_test").exit_code != 0) {
            const char* ci = std::getenv("CI");
            if (ci != nullptr && std::string(ci) == "true") {
                FAIL() << "freeradius or eapol_test is missing (scripts/install-deps.sh)";
            }
            GTEST_SKIP() << "freeradius or eapol_test is missing (scripts/install-deps.sh)";
        }
        dir_ = make_temp_dir("estd-wifi-recipe");
        sh("mkdir -m 700 device device2 radius radius/crl clients raddb other");
        make_dev_pki(dir_ / "pki", "wifi");
        make_issuing_ca(dir_ / "ca", "wifi");
        make_factory_ca();
        factory_certificate("device", "laptop-001", "ABC123");
        factory_certificate("device2", "laptop-004", "DEF456");
        write_file(dir_ / "radius/password", std::string(kEnrollmentPassword) + "\n");
    }
    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "---- FreeRADIUS log (tail) ----\n" << tail(radius_.log(), 12000) << "\n";
        }
        radius_.stop();
        RecipeTest::TearDown();
    }

    static std::string tail(const std::string& text, std::size_t n) {
        return text.size() > n ? text.substr(text.size() - n) : text;
    }
    void start_estd() {
        render(recipe("estd.env"), dir_ / "estd.env",
               {{"FACTORY_CA_BUNDLE", p("factory-ca.crt")},
                {"RADIUS_ENROLLMENT_PASSWORD", kEnrollmentPassword},
                {"ADMIN_API_KEY", kAdminKey}});
        auto env = recipe_environment(dir_);
        for (const auto& [name, value] : read_environment_file(dir_ / "estd.env")) {
            env[name] = value;
        }
        ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    }

    // The FreeRADIUS directory from the recipe's five files.
    void start_freeradius() {
        port_ = free_udp_loopback_port();
        const std::string ca_subject =
            sh("openssl x509 -in radius/ca-chain.crt -noout -subject -nameopt compat | sed "
               "'s/^subject=//'");
        const std::map<std::string, std::string> values{
            {"RADDB", p("raddb")},
            {"LISTEN_ADDRESS", "127.0.0.1"},
            {"AUTH_PORT", std::to_string(port_)},
            {"NAS_ADDRESS", "127.0.0.1"},
            {"RADIUS_SECRET", kRadiusSecret},
            {"SERVER_CERT", p("radius/server.pem")},
            {"SERVER_KEY", p("radius/server.key")},
            {"CA_FILE", p("radius/ca-chain.crt")},
            {"CA_SUBJECT", ca_subject.substr(0, ca_subject.find('\n'))},
            {"CRL_DIR", p("radius/crl")},
        };
        for (const char* file :
             {"radiusd.conf", "clients.conf", "eap", "default-site", "check-eap-tls"}) {
            render(recipe(file), dir_ / "raddb" / file, values);
        }
        ASSERT_TRUE(radius_.start(dir_ / "raddb")) << radius_.log();
    }

    // crl-refresh.sh as cron runs it on the RADIUS server.
    std::string refresh_crl() {
        return sh(recipe("crl-refresh.sh") + " " + daemon_.url("") +
                  " iss-local radius/ca-chain.crt radius/crl pki/root-ca.crt");
    }

    // eapol_test as the access point and the supplicant, with peer.conf for
    // `cert`/`key`; the RADIUS answer that ended the exchange.
    Radius authenticate(const std::string& name, const std::string& cert, const std::string& key,
                        std::string* output = nullptr) {
        const fs::path peer = dir_ / "clients" / (name + ".conf");
        render(recipe("peer.conf"), peer,
               {{"IDENTITY", name},
                {"RADIUS_CA", p("ca/root-ca.crt")},
                {"RADIUS_NAME", kRadiusName},
                {"CLIENT_CERT", p(cert)},
                {"CLIENT_KEY", p(key)}});
        const auto result =
            run("eapol_test -c " + shell_quote(peer.string()) + " -a 127.0.0.1 -p " +
                std::to_string(port_) + " -s " + kRadiusSecret + " -t 15");
        if (output != nullptr) {
            *output = result.output;
        }
        if (result.exit_code == 0 && contains(result.output, "(Access-Accept)")) {
            return Radius::accept;
        }
        if (result.exit_code != 0 && contains(result.output, "(Access-Reject)") &&
            !contains(result.output, "(Access-Accept)")) {
            return Radius::reject;
        }
        ADD_FAILURE() << "eapol_test for " << name << " ended neither in Accept nor Reject (exit "
                      << result.exit_code << ")\n"
                      << tail(result.output, 4000);
        return Radius::other;
    }

    FreeRadius radius_;
    unsigned short port_ = 0;
};

TEST_F(Wifi8021xRecipeTest, EapTlsWithEstdCertificatesEndToEnd) {
    start_estd();
    if (HasFatalFailure()) {
        return;
    }

    // FreeRADIUS's own certificate from the radius profile.
    sh(recipe("radius-server-cert.sh") + " radius " + kRadiusName);
    EXPECT_TRUE(contains(sh("openssl x509 -in radius/server.pem -noout -ext extendedKeyUsage"),
                         "TLS Web Server Authentication"));

    // The CA chain FreeRADIUS trusts, from the wifi profile's cacerts: the
    // issuing CA first (its subject is check_cert_issuer), then the root.
    sh(std::string(ESTCTL_BINARY) + " est cacerts --server " + daemon_.url("") +
       " --cacert pki/root-ca.crt --profile wifi --out radius/ca-chain.crt");
    EXPECT_EQ(sh("cat ca/ca.crt ca/root-ca.crt"), sh("cat radius/ca-chain.crt"));

    // The device bootstraps with its factory certificate (channel binding on).
    const auto enrolled = sh(recipe("device-enroll.sh") + " device laptop-001 ABC123");
    EXPECT_TRUE(contains(enrolled, "issued serialNumber=ABC123,CN=laptop-001")) << enrolled;
    const auto text =
        sh("openssl x509 -in device/eap.crt -noout -subject -ext extendedKeyUsage "
           "-startdate -enddate -nameopt compat");
    EXPECT_TRUE(contains(text, "/CN=laptop-001/serialNumber=ABC123")) << text;
    EXPECT_TRUE(contains(text, "TLS Web Client Authentication")) << text;
    EXPECT_FALSE(contains(text, "Server Authentication")) << text;
    // One year (the profile's MAX_TTL_SECONDS): NotAfter - NotBefore.
    const auto seconds =
        sh("echo $(( $(date -d \"$(openssl x509 -in device/eap.crt -noout "
           "-enddate | cut -d= -f2)\" +%s) - $(date -d \"$(openssl x509 -in "
           "device/eap.crt -noout -startdate | cut -d= -f2)\" +%s) ))");
    EXPECT_EQ(seconds, "31536000\n");
    // Without channel binding the profile refuses the enrollment.
    const auto unbound =
        run(std::string(ESTCTL_BINARY) + " est enroll --server " + daemon_.url("") +
            " --cacert pki/root-ca.crt --est-mtls --profile "
            "wifi --cert device/factory.crt --key device/factory.key "
            "--cn laptop-001 --serial ABC123");
    EXPECT_EQ(unbound.exit_code, 4) << unbound.output;
    EXPECT_TRUE(contains(unbound.output, "HTTP 400")) << unbound.output;

    sh("cp device/eap.crt device/eap-first.crt");
    sh(recipe("device-enroll.sh") + " device2 laptop-004 DEF456");
    EXPECT_TRUE(contains(refresh_crl(), "iss-local CRL"));
    start_freeradius();
    if (HasFatalFailure()) {
        return;
    }
    EXPECT_EQ(authenticate("laptop-001", "device/eap.crt", "device/eap.key"), Radius::accept);

    // Renewal: not due at the laptop threshold (50%) with a fresh one-year
    // certificate, so nothing changes; forced (100%) over mTLS it renews
    // with the same subject, and the new certificate authenticates.
    const auto first_serial = serial_of("device/eap.crt");
    const auto not_due = sh(recipe("device-renew.sh") + " device");
    EXPECT_TRUE(contains(not_due, "not due")) << not_due;
    EXPECT_EQ(serial_of("device/eap.crt"), first_serial);
    const auto renewed = sh("RENEW_AT=100% " + recipe("device-renew.sh") + " device");
    EXPECT_TRUE(contains(renewed, "issued serialNumber=ABC123,CN=laptop-001")) << renewed;
    EXPECT_NE(serial_of("device/eap.crt"), first_serial);
    EXPECT_TRUE(contains(sh("openssl x509 -in device/eap.crt -noout -subject -nameopt compat"),
                         "/CN=laptop-001/serialNumber=ABC123"));
    EXPECT_EQ(authenticate("laptop-001", "device/eap.crt", "device/eap.key"), Radius::accept);

    // A certificate from another CA (the factory's, clientAuth and all).
    EXPECT_EQ(authenticate("laptop-001", "device/factory.crt", "device/factory.key"),
              Radius::reject);
    EXPECT_TRUE(contains(radius_.log(), "unable to get local issuer certificate"));
    // A serverAuth-only certificate from estd's own CA (the radius profile).
    sh("openssl ecparam -name prime256v1 -genkey -noout -out other/server-only.key && " +
       std::string(ESTCTL_BINARY) + " est enroll --server " + daemon_.url("") +
       " --cacert pki/root-ca.crt --profile radius --user radius --password-file "
       "radius/password --key other/server-only.key --cn laptop-002 --out "
       "other/server-only.crt");
    EXPECT_EQ(authenticate("laptop-002", "other/server-only.crt", "other/server-only.key"),
              Radius::reject);
    EXPECT_TRUE(contains(radius_.log(), "unsuitable certificate purpose"));
    // A certificate of estd's CA without any extendedKeyUsage, which OpenSSL
    // accepts for every purpose: check-eap-tls refuses it.
    sh("openssl ecparam -name prime256v1 -genkey -noout -out other/no-eku.key && "
       "openssl req -new -key other/no-eku.key -subj '/CN=laptop-003' | openssl x509 -req "
       "-CA ca/ca.crt -CAkey ca/ca.key -CAcreateserial -days 30 -out other/no-eku.crt "
       "2>/dev/null");
    EXPECT_EQ(authenticate("laptop-003", "other/no-eku.crt", "other/no-eku.key"), Radius::reject);
    EXPECT_TRUE(contains(radius_.log(), "client certificate without clientAuth"));

    // Bulk revoke of the device; until the CRL is fetched FreeRADIUS still
    // accepts it, after crl-refresh.sh it refuses both its certificates.
    const auto revoked = sh(recipe("revoke-device.sh") + " laptop-001");
    EXPECT_TRUE(contains(revoked, "revoked 2 certificate(s), reason keyCompromise")) << revoked;
    EXPECT_EQ(authenticate("laptop-001", "device/eap.crt", "device/eap.key"), Radius::accept);
    EXPECT_TRUE(contains(refresh_crl(), "iss-local CRL"));
    EXPECT_EQ(sh(recipe("crl-refresh.sh") + " " + daemon_.url("") +
                 " iss-local radius/ca-chain.crt radius/crl pki/root-ca.crt"),
              "")
        << "an unchanged CRL is not installed again";
    EXPECT_EQ(authenticate("laptop-001", "device/eap.crt", "device/eap.key"), Radius::reject);
    EXPECT_TRUE(contains(radius_.log(), "certificate revoked"));
    EXPECT_EQ(authenticate("laptop-001", "device/eap-first.crt", "device/eap.key"), Radius::reject);
    // Another laptop is untouched by the revocation: the CRL is checked,
    // not missing (which would refuse everyone).
    EXPECT_EQ(authenticate("laptop-004", "device2/eap.crt", "device2/eap.key"), Radius::accept);
}

TEST(Wifi8021xRecipeDocument, QuotesEveryFileTheTestRuns) {
    expect_document_quotes("docs/recipes/wifi-8021x.md", kRecipe);
}

}  // namespace
}  // namespace estd::testing::recipes
