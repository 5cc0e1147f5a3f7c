// The operator console in a real browser (issue 22): a real estd with two
// profiles (corp: Basic; iot: mTLS with a trust bundle the test rewrites)
// and enrollments made by the test, the page driven in Debian's Chromium by
// console.test.mjs (playwright-core, pinned by package-lock.json). The
// script's assertions are listed at its top; its screenshots land in
// <build>/tests/console-screenshots/.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kAdminKey = "adm-console-0123456789abcdef";
constexpr const char* kViewerKey = "vwr-console-fedcba9876543210";
constexpr const char* kCorpPassword = "corp-console-password-0001";

class ConsoleBrowserTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-console");
        make_dev_pki(dir_ / "pki", "console");
        // iot's bootstrap CAs: in the bundle at start one with 20 days left
        // (amber) and one with 3 (red); the test adds a third (green) and
        // reloads.
        struct Anchor {
            const char* name;
            int days;
        };
        for (const Anchor& anchor :
             {Anchor{"boot-amber", 20}, Anchor{"boot-red", 3}, Anchor{"boot-green", 400}}) {
            const std::string name = anchor.name;
            const int days = anchor.days;
            sh(std::string("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                           "-nodes -days ") +
               std::to_string(days) + " -subj '/O=Example Fleet/CN=IoT Bootstrap CA " + name +
               "' -keyout " + name + ".key -out " + name + ".crt 2>/dev/null");
        }
        sh("cat boot-amber.crt boot-red.crt > iot-bundle.pem");
        sh("cat pki/root-ca.crt pki/ca.crt > chain.pem");
    }
    void sh(const std::string& command) {
        auto result = run(command);
        ASSERT_EQ(result.exit_code, 0) << command << "\n" << result.output;
    }
};

TEST_F(ConsoleBrowserTest, EveryTabEndToEndInChromium) {
    auto env = dev_pki_environment(dir_);
    env.insert({
        {"CERTCTL_EST_PROFILES", "corp,iot"},
        {"CERTCTL_CERT_PROFILES", "cp-corp-laptops,cp-iot-sensors"},
        {"CERTCTL_EST_PROFILE_CORP_PROFILE_ID", "cp-corp-laptops"},
        {"CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES", "basic"},
        {"CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD", kCorpPassword},
        {"CERTCTL_EST_PROFILE_IOT_PROFILE_ID", "cp-iot-sensors"},
        {"CERTCTL_EST_PROFILE_IOT_MTLS_ENABLED", "true"},
        {"CERTCTL_EST_PROFILE_IOT_ALLOWED_AUTH_MODES", "mtls"},
        {"CERTCTL_EST_PROFILE_IOT_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH",
         (dir_ / "iot-bundle.pem").string()},
        {"CERTCTL_API_KEYS_NAMED", std::string("ops:") + kAdminKey + ":admin,viewer:" + kViewerKey},
    });
    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();

    const fs::path screenshots = fs::path(ESTD_CONSOLE_SCREENSHOT_DIR);
    fs::create_directories(screenshots);
    const std::string script = std::string(ESTD_SOURCE_DIR) + "/tests/console/console.test.mjs";
    const auto quoted = [](const std::string& text) { return shell_quote(text); };
    const std::string command =
        "cd " + quoted(dir_.string()) + " && ESTD_URL=" + quoted(daemon_.url("")) +
        " ESTD_WORK_DIR=" + quoted(dir_.string()) + " ESTD_ADMIN_KEY=" + kAdminKey +
        " ESTD_VIEWER_KEY=" + kViewerKey + " ESTD_CORP_PASSWORD=" + kCorpPassword +
        " ESTD_SCREENSHOT_DIR=" + quoted(screenshots.string()) + " node " + quoted(script) +
        " 2>&1";
    const auto result = run_command(command, 240s);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    std::cout << result.output;
}

}  // namespace
}  // namespace estd::testing
