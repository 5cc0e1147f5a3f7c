// The operator console on the real listener (issue 22): served under /est
// only, with its headers; and the operator API additions it relies on
// (status, bulk-revoke dry run, several audit prefixes, anchor fingerprints).
// The page itself is driven in Chromium by tests/console/.
#include "estd/http/console.hpp"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kAdminKey = "adm-console-api-0123456789";
constexpr const char* kViewerKey = "vwr-console-api-9876543210";
constexpr const char* kPassword = "console-api-password-01";

class ConsoleRoutesTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-console-api");
        make_dev_pki(dir_ / "pki", "console");
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 100 "
           "-subj '/CN=Fleet Bootstrap CA' -keyout boot.key -out boot.crt 2>/dev/null");
        auto env = dev_pki_environment(dir_);
        env.insert({
            {"CERTCTL_EST_PROFILES", "corp,iot"},
            {"CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES", "basic"},
            {"CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD", kPassword},
            {"CERTCTL_EST_PROFILE_IOT_MTLS_ENABLED", "true"},
            {"CERTCTL_EST_PROFILE_IOT_ALLOWED_AUTH_MODES", "mtls"},
            {"CERTCTL_EST_PROFILE_IOT_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH",
             (dir_ / "boot.crt").string()},
            {"CERTCTL_API_KEYS_NAMED",
             std::string("ops:") + kAdminKey + ":admin,viewer:" + kViewerKey},
        });
        ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    }
    std::string curl(const std::string& args) {
        return sh("curl -sS --cacert pki/root-ca.crt " + args);
    }
    json api(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& key = kAdminKey) {
        return json::parse(curl("-X " + method + " -H 'Authorization: Bearer " + key +
                                "' -H 'Content-Type: application/json' " +
                                (body.empty() ? "" : "-d " + shell_quote(body) + " ") + "'" +
                                daemon_.url(path) + "'"),
                           nullptr, false);
    }
    void enroll(const std::string& name, const std::string& password = kPassword) {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + name + ".key");
        sh("openssl req -new -key " + name + ".key -subj '/CN=" + name +
           "' -outform DER | base64 -w0 > " + name + ".b64");
        curl("-o /dev/null -u device:" + password +
             " -H 'Content-Type: application/pkcs10' --data-binary @" + name + ".b64 " +
             daemon_.url("/.well-known/est/corp/simpleenroll"));
    }
};

TEST_F(ConsoleRoutesTest, ServedUnderEstOnlyWithItsHeaders) {
    const auto headers = curl("-D - -o page.html " + daemon_.url("/est"));
    EXPECT_NE(headers.find("HTTP/1.1 200"), std::string::npos) << headers;
    EXPECT_NE(headers.find("Content-Security-Policy: default-src 'self';"), std::string::npos)
        << headers;
    EXPECT_NE(headers.find("X-Content-Type-Options: nosniff"), std::string::npos);
    EXPECT_NE(sh("cat page.html").find("<script type=\"module\" src=\"/est/app.js\">"),
              std::string::npos);
    // HEAD: the headers of a GET, no body.
    const auto head = curl("-I " + daemon_.url("/est/console.css"));
    EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
    EXPECT_NE(head.find("Content-Type: text/css"), std::string::npos) << head;
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + daemon_.url("/est/nosuch.js")), "404");
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code} %{redirect_url}' " + daemon_.url("/est/")),
              "308 " + daemon_.url("/est"));
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' -X POST " + daemon_.url("/est")), "405");
    // No console file anywhere but under /est, whatever the key.
    for (const auto& asset : http::console_assets()) {
        const std::string name(asset.name);
        for (const std::string& path :
             {"/" + name, "/.well-known/est/" + name, "/.well-known/est/corp/" + name,
              "/api/v1/" + name, "/.well-known/pki/" + name}) {
            const auto out = curl("-H 'Authorization: Bearer " + std::string(kAdminKey) +
                                  "' -w '\\n%{http_code}' " + daemon_.url(path));
            EXPECT_EQ(out.find(std::string(asset.body.substr(0, 200))), std::string::npos) << path;
            EXPECT_NE(out.substr(out.rfind('\n') + 1), "200") << path;
        }
    }
    // EST is untouched by the console's prefix.
    EXPECT_EQ(
        curl("-o /dev/null -w '%{http_code}' " + daemon_.url("/.well-known/est/corp/cacerts")),
        "200");
}

TEST_F(ConsoleRoutesTest, StatusSaysReadinessStoreIssuersVersionAndWhoCalls) {
    const auto status = api("GET", "/api/v1/status", "", kViewerKey);
    ASSERT_TRUE(status.is_object()) << status;
    EXPECT_EQ(status["ready"], true) << status;
    EXPECT_EQ(status["store"], "sqlite");
    EXPECT_FALSE(status["version"].get<std::string>().empty());
    ASSERT_EQ(status["issuers"].size(), 1U) << status;
    EXPECT_EQ(status["issuers"][0]["id"], "iss-local");
    EXPECT_EQ(status["issuers"][0]["ready"], true);
    EXPECT_EQ(status["key"]["name"], "viewer");
    EXPECT_EQ(status["key"]["admin"], false);
    EXPECT_EQ(api("GET", "/api/v1/status", "", kAdminKey)["key"]["admin"], true);
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + daemon_.url("/api/v1/status")), "401");
}

TEST_F(ConsoleRoutesTest, BulkRevokeDryRunCountsAndChangesNothing) {
    enroll("dry-1");
    enroll("dry-2");
    enroll("keep-1");
    const auto dry = api("POST", "/api/v1/est/certificates/bulk-revoke",
                         R"({"est_profile":"corp","dry_run":true,"reason":"superseded"})");
    EXPECT_EQ(dry["dry_run"], true) << dry;
    EXPECT_EQ(dry["would_revoke_count"], 3) << dry;
    EXPECT_EQ(dry["serials"].size(), 3U);
    EXPECT_EQ(api("GET", "/api/v1/est/certificates?status=revoked")["certificates"].size(), 0U);
    EXPECT_EQ(api("GET", "/api/v1/audit?action_prefix=est_bulk_revoke")["events"].size(), 0U);
    // The count is of what the revoke would change: not what is revoked already.
    const auto one = api("POST", "/api/v1/est/certificates/bulk-revoke",
                         R"({"common_name":"dry-1","reason":"superseded"})");
    EXPECT_EQ(one["revoked_count"], 1) << one;
    EXPECT_EQ(api("POST", "/api/v1/est/certificates/bulk-revoke",
                  R"({"est_profile":"corp","dry_run":true})")["would_revoke_count"],
              2);
    EXPECT_EQ(api("POST", "/api/v1/est/certificates/bulk-revoke", R"({"dry_run":"yes"})")["status"],
              400);
    EXPECT_EQ(api("POST", "/api/v1/est/certificates/bulk-revoke", R"({"dry_run":true})")["status"],
              400);
    EXPECT_EQ(api("POST", "/api/v1/est/certificates/bulk-revoke",
                  R"({"est_profile":"corp","dry_run":true})", kViewerKey)["status"],
              403);
}

TEST_F(ConsoleRoutesTest, AuditTakesSeveralPrefixesAndAnchorsCarryFingerprints) {
    enroll("audit-1");
    enroll("audit-2", "wrong");
    const auto both = api("GET", "/api/v1/audit?action_prefix=est_simple_reenroll,est_auth_failed");
    ASSERT_EQ(both["events"].size(), 1U) << both;
    EXPECT_EQ(both["events"][0]["action"], "est_auth_failed_basic");
    const auto four = api("GET",
                          "/api/v1/audit?action_prefix=est_simple_enroll,est_simple_reenroll,"
                          "est_server_keygen,est_auth_failed");
    EXPECT_EQ(four["events"].size(), 2U) << four;

    const auto profiles = api("GET", "/api/v1/admin/est/profiles");
    ASSERT_EQ(profiles["profiles"].size(), 2U) << profiles;
    const auto& anchors = profiles["profiles"][1]["trust_anchors"];
    ASSERT_EQ(anchors.size(), 1U) << profiles;
    auto expected = sh("openssl x509 -in boot.crt -noout -fingerprint -sha256");
    expected = expected.substr(expected.find('=') + 1);
    std::string hex;
    for (char c : expected) {
        if (std::isxdigit(static_cast<unsigned char>(c))) {
            hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    EXPECT_EQ(anchors[0]["fingerprint_sha256"], hex);
    EXPECT_EQ(anchors[0]["status"], "green");
    EXPECT_FALSE(anchors[0]["not_before"].get<std::string>().empty());
}

}  // namespace
}  // namespace estd::testing
