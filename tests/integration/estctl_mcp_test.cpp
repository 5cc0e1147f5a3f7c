// `estctl mcp` driven the way an MCP host drives it: JSON-RPC 2.0 lines on
// stdin, one answer line per request on stdout, against the real daemon.
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon_test.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kAdminKey = "mcp-admin-key-0123456789abcdef";

class EstctlMcpTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estctl-mcp");
        make_dev_pki(dir_ / "pki", "corp");
        auto env = dev_pki_environment(dir_);
        env.insert({
            {"CERTCTL_EST_PROFILES", "corp"},
            {"CERTCTL_API_KEYS_NAMED", std::string("ops:") + kAdminKey + ":admin"},
        });
        ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
        write_file(dir_ / "api-key.txt", std::string(kAdminKey) + "\n");
    }

    // Feeds `messages` (one per line) to estctl mcp and returns its answers
    // keyed by id.
    std::map<int, json> session(const std::vector<json>& messages,
                                const std::string& extra_args = "") {
        std::string input;
        for (const auto& m : messages) {
            input += m.dump() + "\n";
        }
        input += "this is not json\n";
        write_file(dir_ / "requests.jsonl", input);
        const auto result =
            run_command("cd '" + dir_.string() + "' && env -u CERTCTL_API_KEY " + ESTCTL_BINARY +
                            " mcp --server " + daemon_.url("") + " --cacert pki/root-ca.crt " +
                            extra_args + " < requests.jsonl 2>stderr.txt",
                        std::chrono::seconds(60));
        EXPECT_EQ(result.exit_code, 0) << read_file(dir_ / "stderr.txt");
        std::map<int, json> answers;
        std::istringstream lines(result.output);
        for (std::string line; std::getline(lines, line);) {
            const json answer = json::parse(line, nullptr, false);
            EXPECT_FALSE(answer.is_discarded()) << line;
            EXPECT_EQ(answer.value("jsonrpc", ""), "2.0") << line;
            answers[answer["id"].is_number() ? answer["id"].get<int>() : -1] = answer;
        }
        return answers;
    }

    static json call(int id, const std::string& tool, json arguments) {
        return {{"jsonrpc", "2.0"},
                {"id", id},
                {"method", "tools/call"},
                {"params", {{"name", tool}, {"arguments", std::move(arguments)}}}};
    }
    // The JSON a tool returned as its text content.
    static json tool_payload(const json& answer) {
        return json::parse(answer["result"]["content"][0]["text"].get<std::string>(), nullptr,
                           false);
    }
};

TEST_F(EstctlMcpTest, InitializeListAndEnrollACertificateThatVerifies) {
    sh("openssl ecparam -name prime256v1 -genkey -noout -out agent.key");
    const std::string csr =
        sh("openssl req -new -key agent.key -subj '/CN=agent-enrolled.example.com'");

    auto answers = session({
        {{"jsonrpc", "2.0"},
         {"id", 1},
         {"method", "initialize"},
         {"params",
          {{"protocolVersion", "2025-06-18"},
           {"capabilities", json::object()},
           {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}},
        {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
        {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}},
        call(3, "est_get_cacerts", {{"profile", "corp"}}),
        call(4, "est_get_csrattrs", {{"profile", "corp"}}),
        call(5, "est_enroll", {{"profile", "corp"}, {"csr", csr}}),
        call(6, "est_enroll", {{"profile", "nosuch"}, {"csr", csr}}),
        call(7, "est_enroll", {{"profile", "corp"}}),
        call(8, "est_reenroll", {{"profile", "corp"}, {"csr", csr}}),
        call(9, "no_such_tool", json::object()),
        {{"jsonrpc", "2.0"}, {"id", 10}, {"method", "no/such/method"}},
        {{"jsonrpc", "2.0"}, {"id", 11}, {"method", "ping"}},
    });

    // initialize
    ASSERT_TRUE(answers.count(1));
    EXPECT_EQ(answers[1]["result"]["protocolVersion"], "2025-06-18");
    EXPECT_EQ(answers[1]["result"]["serverInfo"]["name"], "estctl");
    EXPECT_TRUE(answers[1]["result"]["capabilities"].contains("tools"));

    // tools/list: the guide's six tools, each with an object JSON Schema.
    ASSERT_TRUE(answers.count(2));
    std::set<std::string> names;
    for (const auto& tool : answers[2]["result"]["tools"]) {
        names.insert(tool["name"].get<std::string>());
        EXPECT_FALSE(tool["description"].get<std::string>().empty());
        EXPECT_EQ(tool["inputSchema"]["type"], "object") << tool;
        EXPECT_TRUE(tool["inputSchema"]["properties"].is_object()) << tool;
    }
    EXPECT_EQ(names,
              (std::set<std::string>{"est_list_profiles", "est_admin_stats", "est_get_cacerts",
                                     "est_get_csrattrs", "est_enroll", "est_reenroll"}));
    for (const auto& tool : answers[2]["result"]["tools"]) {
        if (tool["name"] == "est_enroll") {
            EXPECT_EQ(tool["inputSchema"]["required"], json::array({"csr"}));
            EXPECT_EQ(tool["inputSchema"]["properties"]["csr"]["type"], "string");
        }
    }

    // est_get_cacerts: base64 PKCS#7 and the chain.
    ASSERT_TRUE(answers.count(3));
    EXPECT_FALSE(answers[3]["result"]["isError"].get<bool>());
    const json cacerts = tool_payload(answers[3]);
    EXPECT_EQ(cacerts["certificates"].size(), 2U);
    write_file(dir_ / "chain.b64", cacerts["pkcs7_base64"].get<std::string>());
    EXPECT_NE(sh("base64 -d chain.b64 | openssl pkcs7 -inform DER -print_certs -noout")
                  .find("corp DEV-ONLY Issuing CA"),
              std::string::npos);

    // est_get_csrattrs: no certificate profile, so the baseline's key algorithms.
    ASSERT_TRUE(answers.count(4));
    EXPECT_FALSE(answers[4]["result"]["isError"].get<bool>());
    EXPECT_EQ(tool_payload(answers[4])["required"], true);

    // est_enroll: a certificate that verifies, for the CSR's key and name.
    ASSERT_TRUE(answers.count(5));
    ASSERT_FALSE(answers[5]["result"]["isError"].get<bool>()) << answers[5];
    const json issued = tool_payload(answers[5]);
    write_file(dir_ / "agent.crt", issued["certificate_pem"].get<std::string>());
    EXPECT_NE(sh("openssl verify -CAfile pki/root-ca.crt -untrusted pki/ca.crt agent.crt")
                  .find("agent.crt: OK"),
              std::string::npos);
    EXPECT_EQ(sh("openssl x509 -in agent.crt -noout -pubkey"),
              sh("openssl pkey -in agent.key -pubout"));
    EXPECT_NE(issued["subject"].get<std::string>().find("CN=agent-enrolled.example.com"),
              std::string::npos);

    // Failures are tool errors (isError), not protocol errors or crashes.
    ASSERT_TRUE(answers.count(6));
    EXPECT_TRUE(answers[6]["result"]["isError"].get<bool>());
    EXPECT_EQ(tool_payload(answers[6])["http_status"], 404);
    ASSERT_TRUE(answers.count(7));
    EXPECT_TRUE(answers[7]["result"]["isError"].get<bool>());
    ASSERT_TRUE(answers.count(8));
    EXPECT_TRUE(answers[8]["result"]["isError"].get<bool>());  // no client certificate

    // Unknown tool and method: JSON-RPC errors; garbage: parse error.
    EXPECT_EQ(answers[9]["error"]["code"], -32602);
    EXPECT_EQ(answers[10]["error"]["code"], -32601);
    EXPECT_EQ(answers[11]["result"], json::object());
    ASSERT_TRUE(answers.count(-1));
    EXPECT_EQ(answers[-1]["error"]["code"], -32700);
    EXPECT_EQ(answers.size(), 12U);  // the notification got no answer
}

TEST_F(EstctlMcpTest, AdminToolsReadTheOperatorApi) {
    auto with_key = session(
        {call(1, "est_list_profiles", json::object()), call(2, "est_admin_stats", json::object())},
        "--api-key-file api-key.txt");
    ASSERT_FALSE(with_key[1]["result"]["isError"].get<bool>()) << with_key[1];
    const json profiles = tool_payload(with_key[1]);
    ASSERT_EQ(profiles["profiles"].size(), 1U) << profiles;
    EXPECT_EQ(profiles["profiles"][0]["path_id"], "corp");
    EXPECT_TRUE(profiles["profiles"][0].contains("auth_modes"));
    ASSERT_FALSE(with_key[2]["result"]["isError"].get<bool>()) << with_key[2];
    EXPECT_TRUE(tool_payload(with_key[2])["profiles"][0].contains("counters"));

    // Without a key: a tool error that says what is missing.
    auto without = session({call(1, "est_list_profiles", json::object())});
    EXPECT_TRUE(without[1]["result"]["isError"].get<bool>());
    EXPECT_NE(tool_payload(without[1])["message"].get<std::string>().find("CERTCTL_API_KEY"),
              std::string::npos);
}

TEST_F(EstctlMcpTest, ReenrollUsesTheCertificateBeingRenewed) {
    sh("openssl ecparam -name prime256v1 -genkey -noout -out agent.key");
    const std::string csr = sh("openssl req -new -key agent.key -subj '/CN=agent-renew'");
    auto first = session({call(1, "est_enroll", {{"profile", "corp"}, {"csr", csr}})});
    ASSERT_FALSE(first[1]["result"]["isError"].get<bool>()) << first[1];
    write_file(dir_ / "agent.crt", tool_payload(first[1])["certificate_pem"].get<std::string>());

    auto renewed = session({call(1, "est_reenroll",
                                 {{"profile", "corp"},
                                  {"csr", csr},
                                  {"client_cert_file", (dir_ / "agent.crt").string()},
                                  {"client_key_file", (dir_ / "agent.key").string()}})});
    ASSERT_FALSE(renewed[1]["result"]["isError"].get<bool>()) << renewed[1];
    const json payload = tool_payload(renewed[1]);
    EXPECT_NE(payload["serial"], tool_payload(first[1])["serial"]);
    EXPECT_NE(payload["subject"].get<std::string>().find("CN=agent-renew"), std::string::npos);
}

}  // namespace
}  // namespace estd::testing
