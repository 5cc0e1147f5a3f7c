// docs/recipes/iot-bootstrap.md run as written: the guide's IoT lifecycle
// for a fleet of three sensors, with estd started from the recipe's estd.env
// and the devices and the operator running the recipe's scripts (estctl):
// factory certificate -> est-mtls simpleenroll with deviceSerialNumber ->
// renewals once 25% of the lifetime remains -> bulk revoke of the fleet by
// certificate profile -> renewal refused, and the audit says why.
//
// The certificates live MAX_TTL_SECONDS = 412 s: estd backdates NotBefore
// five minutes for clock skew and the profile caps NotAfter - NotBefore, so
// a certificate has 112 s left when issued (27%) and reaches 25% (103 s
// left) 9 s later. Each renewal round waits for that moment, read from the
// certificates themselves.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "recipe_support.hpp"

namespace estd::testing::recipes {
namespace {

constexpr const char* kRecipe = "deploy/recipes/iot-bootstrap";
constexpr const char* kAdminKey = "fleet-ops-admin-key-0123456789abcdef";
constexpr int kLifetimeSeconds = 412;
const char* const kSerials[] = {"SN1001", "SN1002", "SN1003"};

class IotBootstrapRecipeTest : public RecipeTest {
  protected:
    IotBootstrapRecipeTest() : RecipeTest(kRecipe, kAdminKey) {}

    void SetUp() override {
        dir_ = make_temp_dir("estd-iot-recipe");
        make_dev_pki(dir_ / "pki", "iot");
        make_issuing_ca(dir_ / "ca", "iot");
        make_factory_ca();
        // Factory provisioning: each sensor gets a bootstrap certificate.
        for (const char* serial_number : kSerials) {
            const std::string d = std::string("sensor-") + serial_number;
            sh("mkdir -m 700 " + d);
            factory_certificate(d, d, serial_number);
        }
    }
    // Seconds since the epoch of a certificate's NotBefore or NotAfter.
    long long epoch(const std::string& cert, const std::string& which) {
        return std::stoll(sh("date -d \"$(openssl x509 -in " + cert + " -noout -" + which +
                             "date | cut -d= -f2)\" +%s"));
    }
    // The renewal cron right after an issue: nothing sent, nothing changed.
    // Run at once after each issue: the certificate is due 9 s later.
    void expect_not_due(const std::string& d) {
        const auto before = serial_of(d + "/device.crt");
        const auto early = sh(recipe("device-renew.sh") + " " + d);
        EXPECT_TRUE(contains(early, "estctl: not due: ")) << early;
        EXPECT_TRUE(contains(early, "renewal at 25%; nothing sent")) << early;
        EXPECT_EQ(serial_of(d + "/device.crt"), before);
    }
    // Sleeps until every sensor's certificate has at most 25% left.
    void wait_until_due() {
        long long due = 0;
        for (const char* serial : kSerials) {
            const std::string cert = std::string("sensor-") + serial + "/device.crt";
            const long long not_before = epoch(cert, "start");
            const long long not_after = epoch(cert, "end");
            ASSERT_EQ(not_after - not_before, kLifetimeSeconds) << cert;
            due = std::max(due, not_after - (not_after - not_before) / 4 + 1);
        }
        const auto until = std::chrono::system_clock::time_point(std::chrono::seconds(due));
        ASSERT_LT(until - std::chrono::system_clock::now(), std::chrono::seconds(30));
        std::this_thread::sleep_until(until);
    }
};

TEST_F(IotBootstrapRecipeTest, FleetLifecycleFromFactoryToDecommission) {
    render(recipe("estd.env"), dir_ / "estd.env",
           {{"FACTORY_CA_BUNDLE", p("factory-ca.crt")},
            {"MAX_TTL_SECONDS", std::to_string(kLifetimeSeconds)},
            {"ADMIN_API_KEY", kAdminKey}});
    auto env = recipe_environment(dir_);
    for (const auto& [name, value] : read_environment_file(dir_ / "estd.env")) {
        env[name] = value;
    }
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();

    // First boot: est-mtls simpleenroll with the factory certificate, the
    // serial in deviceSerialNumber.
    for (const char* serial : kSerials) {
        const std::string d = std::string("sensor-") + serial;
        const auto out = sh(recipe("device-enroll.sh") + " " + d + " " + serial);
        EXPECT_TRUE(contains(out, "issued serialNumber=" + std::string(serial) + ",CN=sensor-" +
                                      std::string(serial)))
            << out;
        const auto subject =
            sh("openssl x509 -in " + d + "/device.crt -noout -subject -nameopt compat");
        EXPECT_TRUE(contains(subject, "/serialNumber=" + std::string(serial))) << subject;
        EXPECT_TRUE(contains(
            sh("openssl verify -CAfile ca/root-ca.crt -untrusted ca/ca.crt " + d + "/device.crt"),
            ": OK"));
        expect_not_due(d);
    }
    // A CSR without the serial is refused by the profile. (Another CN: a
    // refused CSR still counts against that CN's 3 enrollments a day.)
    const auto no_serial =
        run(std::string(ESTCTL_BINARY) + " est enroll --server " + daemon_.url("") +
            " --cacert pki/root-ca.crt --est-mtls --profile iot --cert sensor-SN1001/factory.crt "
            "--key sensor-SN1001/factory.key --cn sensor-without-serial");
    EXPECT_EQ(no_serial.exit_code, 4) << no_serial.output;
    EXPECT_TRUE(contains(no_serial.output, "HTTP 400")) << no_serial.output;
    EXPECT_TRUE(contains(no_serial.output, "serialNumber")) << no_serial.output;

    // Steady state: the renewal cron runs; before 25% nothing is sent (each
    // issue is followed by such a run), at 25% each sensor renews with its
    // own certificate. Two rounds.
    std::map<std::string, std::set<std::string>> serials_seen;
    for (const char* serial : kSerials) {
        const std::string d = std::string("sensor-") + serial;
        serials_seen[d].insert(serial_of(d + "/device.crt"));
    }
    for (int round = 1; round <= 2; ++round) {
        wait_until_due();
        if (HasFatalFailure()) {
            return;
        }
        for (const char* serial : kSerials) {
            const std::string d = std::string("sensor-") + serial;
            const auto out = sh(recipe("device-renew.sh") + " " + d);
            EXPECT_TRUE(contains(out, "issued serialNumber=" + std::string(serial) + ",CN=sensor-" +
                                          std::string(serial)))
                << out;
            EXPECT_TRUE(serials_seen[d].insert(serial_of(d + "/device.crt")).second)
                << d << " round " << round << ": no new certificate";
            EXPECT_TRUE(contains(
                sh("openssl x509 -in " + d + "/device.crt -noout -subject -nameopt compat"),
                "/serialNumber=" + std::string(serial)));
            expect_not_due(d);
        }
    }
    const auto audit_renewals = nlohmann::json::parse(
        sh(std::string(ESTCTL_BINARY) + " admin audit --server " + daemon_.url("") +
           " --cacert pki/root-ca.crt --action-prefix est_simple_reenroll_success --all --json"));
    EXPECT_EQ(audit_renewals["events"].size(), 6U) << audit_renewals.dump(1);

    // Decommission: every certificate of the profile, 3 sensors x 3.
    const auto revoked = sh(recipe("decommission-fleet.sh"));
    EXPECT_TRUE(contains(revoked, "revoked 9 certificate(s), reason keyCompromise")) << revoked;
    sh("curl -sSf --cacert pki/root-ca.crt -o iss-local.crl " +
       daemon_.url("/.well-known/pki/crls/iss-local.crl"));
    EXPECT_EQ(sh("openssl crl -inform DER -in iss-local.crl -noout -text | grep -c 'Serial "
                 "Number'"),
              "9\n");

    // The devices' next renewal (forced: the certificates are fresh) is
    // refused, and the audit says it is because the certificate is revoked.
    for (const char* serial : kSerials) {
        const std::string d = std::string("sensor-") + serial;
        const auto refused = run("RENEW_AT=100% " + recipe("device-renew.sh") + " " + d);
        EXPECT_EQ(refused.exit_code, 4) << refused.output;
        EXPECT_TRUE(contains(refused.output, "HTTP 401")) << refused.output;
        EXPECT_TRUE(contains(refused.output, "is revoked: keyCompromise")) << refused.output;
    }
    const auto refusals = nlohmann::json::parse(
        sh(std::string(ESTCTL_BINARY) + " admin audit --server " + daemon_.url("") +
           " --cacert pki/root-ca.crt --action-prefix est_auth_failed_mtls --all --json"));
    ASSERT_EQ(refusals["events"].size(), 3U) << refusals.dump(1);
    for (const auto& event : refusals["events"]) {
        EXPECT_TRUE(contains(event.value("reason", ""), "is revoked: keyCompromise"))
            << event.dump(1);
        EXPECT_EQ(event.value("profile", ""), "iot") << event.dump(1);
        EXPECT_EQ(event.value("operation_action", ""), "est_simple_reenroll_failed")
            << event.dump(1);
    }
}

TEST(IotBootstrapRecipeDocument, QuotesEveryFileTheTestRuns) {
    expect_document_quotes("docs/recipes/iot-bootstrap.md", kRecipe);
}

}  // namespace
}  // namespace estd::testing::recipes
