// `estctl admin` over estd's operator API: tables for people, --json for
// scripts, the Bearer key from a file or CERTCTL_API_KEY.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kAdminKey = "estctl-admin-key-0123456789abcdef";
constexpr const char* kViewerKey = "estctl-viewer-key-0123456789abcdef";

class EstctlAdminTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estctl-admin");
        make_dev_pki(dir_ / "pki", "corp");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out device.key");
        sh("openssl ecparam -name prime256v1 -genkey -noout -out boot-ca.key");
        sh("openssl req -x509 -new -key boot-ca.key -subj '/CN=bootstrap CA' -days 20 -addext "
           "basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign -out "
           "boot-ca.crt");
        write_file(dir_ / "admin.key.txt", std::string(kAdminKey) + "\n");
        write_file(dir_ / "viewer.key.txt", std::string(kViewerKey) + "\n");
        auto env = dev_pki_environment(dir_);
        env.insert({
            {"CERTCTL_EST_PROFILES", "corp,wifi"},
            {"CERTCTL_EST_PROFILE_WIFI_MTLS_ENABLED", "true"},
            {"CERTCTL_EST_PROFILE_WIFI_ALLOWED_AUTH_MODES", "mtls"},
            {"CERTCTL_EST_PROFILE_WIFI_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", p("boot-ca.crt")},
            {"CERTCTL_API_KEYS_NAMED",
             std::string("ops:") + kAdminKey + ":admin,viewer:" + kViewerKey},
        });
        ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    }

    // estctl `verb` with server and trust anchor; `env` prefixes variables.
    CommandResult estctl(const std::string& verb, const std::string& args,
                         const std::string& env = "env -u CERTCTL_API_KEY") {
        return run_command("cd '" + dir_.string() + "' && " + env + " " + ESTCTL_BINARY + " " +
                               verb + " --server " + daemon_.url("") +
                               " --cacert pki/root-ca.crt " + args,
                           std::chrono::seconds(60));
    }
    CommandResult admin(const std::string& verb, const std::string& args = "") {
        return estctl("admin " + verb, "--api-key-file admin.key.txt " + args + " 2>&1");
    }
    void enroll(const std::string& cn) {
        const auto result = estctl("est enroll", "--profile corp --key device.key --cn " + cn +
                                                     " --out " + cn + ".crt 2>&1");
        ASSERT_EQ(result.exit_code, 0) << result.output;
    }
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST_F(EstctlAdminTest, ProfilesTableAndJson) {
    enroll("table-1");
    const auto table = admin("profiles");
    ASSERT_EQ(table.exit_code, 0) << table.output;
    EXPECT_TRUE(contains(table.output, "PROFILE")) << table.output;
    EXPECT_TRUE(contains(table.output, "corp     anonymous")) << table.output;
    EXPECT_TRUE(contains(table.output, "amber")) << table.output;  // 20-day bootstrap CA
    EXPECT_TRUE(contains(table.output, "corp: est_simple_enroll_success=1")) << table.output;

    const auto json_out =
        estctl("admin profiles", "--json 2>/dev/null", std::string("CERTCTL_API_KEY=") + kAdminKey);
    ASSERT_EQ(json_out.exit_code, 0) << json_out.output;
    const auto parsed = json::parse(json_out.output, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << json_out.output;
    EXPECT_EQ(parsed["profiles"].size(), 2U);
}

TEST_F(EstctlAdminTest, KeysAreCheckedAndNeverPrinted) {
    const auto missing = estctl("admin profiles", "2>&1");
    EXPECT_EQ(missing.exit_code, 2) << missing.output;
    EXPECT_TRUE(contains(missing.output, "CERTCTL_API_KEY")) << missing.output;
    const auto wrong = estctl("admin profiles", "2>&1", "CERTCTL_API_KEY=not-a-valid-key-000000");
    EXPECT_EQ(wrong.exit_code, 4) << wrong.output;
    EXPECT_TRUE(contains(wrong.output, "401")) << wrong.output;
    EXPECT_FALSE(contains(wrong.output, "not-a-valid-key")) << wrong.output;
    const auto viewer = estctl("admin profiles", "--api-key-file viewer.key.txt 2>&1");
    EXPECT_EQ(viewer.exit_code, 4) << viewer.output;
    EXPECT_TRUE(contains(viewer.output, "403")) << viewer.output;
    EXPECT_FALSE(contains(viewer.output, kViewerKey));
    // The inventory is readable with any key.
    EXPECT_EQ(estctl("admin certs", "--api-key-file viewer.key.txt 2>&1").exit_code, 0);
}

TEST_F(EstctlAdminTest, BulkRevokeCertsAuditAndReload) {
    enroll("keep-me");
    enroll("revoke-me");

    const auto listed = admin("certs");
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_TRUE(contains(listed.output, "keep-me")) << listed.output;
    EXPECT_TRUE(contains(listed.output, "revoke-me")) << listed.output;

    // Nothing to match on is refused by the server, not "revoke everything".
    EXPECT_EQ(admin("bulk-revoke", "--reason keyCompromise").exit_code, 4);
    const auto revoked = admin("bulk-revoke", "--cn revoke-me --reason keyCompromise");
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    EXPECT_TRUE(contains(revoked.output, "revoked 1 certificate(s), reason keyCompromise"))
        << revoked.output;

    // The revoked certificate cannot renew itself any more.
    const auto renewal =
        estctl("est reenroll", "--profile corp --cert revoke-me.crt --key device.key 2>&1");
    EXPECT_EQ(renewal.exit_code, 4) << renewal.output;
    EXPECT_TRUE(contains(renewal.output, "revoked")) << renewal.output;

    // Paging: one row per page, every page with --all.
    const auto pages = admin("certs", "--status all --limit 1 --all --json");
    ASSERT_EQ(pages.exit_code, 0) << pages.output;
    const auto all = json::parse(pages.output, nullptr, false);
    ASSERT_FALSE(all.is_discarded()) << pages.output;
    EXPECT_EQ(all["certificates"].size(), 2U);
    const auto revoked_only = admin("certs", "--status revoked");
    EXPECT_TRUE(contains(revoked_only.output, "revoke-me")) << revoked_only.output;
    EXPECT_FALSE(contains(revoked_only.output, "keep-me")) << revoked_only.output;

    const auto audit = admin("audit", "--action-prefix est_bulk_revoke");
    ASSERT_EQ(audit.exit_code, 0) << audit.output;
    EXPECT_TRUE(contains(audit.output, "est_bulk_revoke")) << audit.output;
    EXPECT_TRUE(contains(audit.output, "keyCompromise")) << audit.output;

    const auto reload = admin("reload-trust");
    ASSERT_EQ(reload.exit_code, 0) << reload.output;
    EXPECT_TRUE(contains(reload.output, "wifi     unchanged")) << reload.output;
    sh("cat pki/root-ca.crt >> boot-ca.crt");
    const auto grown = admin("reload-trust", "--profile wifi");
    ASSERT_EQ(grown.exit_code, 0) << grown.output;
    EXPECT_TRUE(contains(grown.output, "wifi     reloaded")) << grown.output;
    EXPECT_EQ(admin("reload-trust", "--profile nosuch").exit_code, 4);
    // A bundle that no longer parses keeps the old anchors: exit 1, the reason shown.
    write_file(dir_ / "boot-ca.crt", "not a certificate\n");
    const auto kept = admin("reload-trust", "--profile wifi");
    EXPECT_EQ(kept.exit_code, 1) << kept.output;
    EXPECT_TRUE(contains(kept.output, "KEPT OLD ANCHORS")) << kept.output;
}

}  // namespace
}  // namespace estd::testing
