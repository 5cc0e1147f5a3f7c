#include "mcp_server.hpp"

#include <array>
#include <iostream>
#include <string>

#include "estd/client/encoding.hpp"
#include "estd/client/est_client.hpp"
#include "estd/client/operator_client.hpp"
#include "estd/core/time_format.hpp"
#include "estd/core/version.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/pkcs7.hpp"
#include "exit_codes.hpp"

namespace estd::cli {

namespace {

using nlohmann::json;

constexpr std::array kProtocolVersions = {"2025-06-18", "2025-03-26", "2024-11-05"};

json rpc_error(const json& id, int code, const std::string& message) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

json rpc_result(const json& id, json result) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json profile_property() {
    return {{"type", "string"},
            {"description",
             "EST profile PathID (the URL path segment); empty for the legacy /.well-known/est/ "
             "root"}};
}

json route_property() {
    return {{"type", "boolean"},
            {"description", "use /.well-known/est-mtls/ instead of /.well-known/est/"}};
}

json object_schema(json properties, json required = json::array()) {
    return {{"type", "object"},
            {"properties", std::move(properties)},
            {"required", std::move(required)},
            {"additionalProperties", false}};
}

json certificate_json(X509* cert) {
    return {{"subject", pki::name_to_string(X509_get_subject_name(cert))},
            {"issuer", pki::name_to_string(X509_get_issuer_name(cert))},
            {"serial", pki::serial_hex(cert)},
            {"not_before", format_utc_rfc3339(pki::not_before(cert))},
            {"not_after", format_utc_rfc3339(pki::not_after(cert))},
            {"pem", pki::certificate_pem(cert)}};
}

std::string error_kind(const Error& error) {
    switch (exit_code_for(error)) {
        case kExitUsage:
            return "invalid_input";
        case kExitNetwork:
            return "network_or_tls";
        case kExitHttp4xx:
            return "http_4xx";
        case kExitHttp5xx:
            return "http_5xx";
        default:
            return "protocol";
    }
}

// Per-call options: the server's defaults with the call's profile and route.
EstOptions call_options(const EstOptions& defaults, const json& args) {
    EstOptions o = defaults;
    if (args.contains("profile") && args["profile"].is_string()) {
        o.profile = args["profile"].get<std::string>();
    }
    if (args.contains("est_mtls") && args["est_mtls"].is_boolean()) {
        o.est_mtls_route = args["est_mtls"].get<bool>();
    }
    return o;
}

std::optional<std::string> string_argument(const json& args, const char* name) {
    if (!args.contains(name) || !args[name].is_string()) {
        return std::nullopt;
    }
    return args[name].get<std::string>();
}

}  // namespace

McpServer::McpServer(EstOptions defaults) : defaults_(std::move(defaults)) {
    const json profile_only =
        object_schema({{"profile", profile_property()}, {"est_mtls", route_property()}});
    const json no_arguments = object_schema(json::object());
    tools_ = {
        {"est_list_profiles",
         "Every configured EST profile with its auth modes and counters (operator API).",
         no_arguments, [this](const json&) { return admin_profiles(false); }},
        {"est_admin_stats",
         "Per-profile EST counters (one per est_* audit code); the guide's alias of "
         "est_list_profiles.",
         no_arguments, [this](const json&) { return admin_profiles(true); }},
        {"est_get_cacerts",
         "The profile's CA chain (EST cacerts): base64 PKCS#7 certs-only plus each certificate.",
         profile_only, [this](const json& a) { return cacerts(a); }},
        {"est_get_csrattrs",
         "What the profile wants in a CSR (EST csrattrs): base64 DER CsrAttrs and decoded "
         "entries; required=false when the server answers 204.",
         profile_only, [this](const json& a) { return csrattrs(a); }},
        {"est_enroll", "Enroll (EST simpleenroll): send a PEM CSR, get the issued certificate.",
         object_schema({{"profile", profile_property()},
                        {"est_mtls", route_property()},
                        {"csr", {{"type", "string"}, {"description", "PKCS#10 request, PEM"}}}},
                       {"csr"}),
         [this](const json& a) { return enroll(a, false); }},
        {"est_reenroll",
         "Renew (EST simplereenroll) over mTLS with the certificate being renewed; the CSR must "
         "repeat its subject and SANs.",
         object_schema(
             {{"profile", profile_property()},
              {"est_mtls", route_property()},
              {"csr", {{"type", "string"}, {"description", "PKCS#10 request, PEM"}}},
              {"client_cert_file",
               {{"type", "string"},
                {"description", "PEM file of the certificate being renewed (default: --cert)"}}},
              {"client_key_file",
               {{"type", "string"}, {"description", "its private key (default: --key)"}}}},
             {"csr"}),
         [this](const json& a) { return enroll(a, true); }},
    };
}

int McpServer::run(std::istream& in, std::ostream& out) {
    std::string line;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        const json message = json::parse(line, nullptr, false);
        std::optional<json> response =
            message.is_discarded() ? rpc_error(nullptr, -32700, "parse error") : handle(message);
        if (response) {
            out << response->dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
            out.flush();
        }
    }
    return kExitOk;
}

std::optional<json> McpServer::handle(const json& message) {
    if (!message.is_object() || message.value("jsonrpc", "") != "2.0" ||
        !message.contains("method") || !message["method"].is_string()) {
        return rpc_error(message.is_object() && message.contains("id") ? message["id"] : json(),
                         -32600, "invalid request: expected a JSON-RPC 2.0 object with a method");
    }
    const std::string method = message["method"].get<std::string>();
    if (!message.contains("id")) {
        return std::nullopt;  // notification (notifications/initialized, cancelled, ...)
    }
    const json& id = message["id"];
    const json params = message.value("params", json::object());
    if (method == "initialize") {
        return rpc_result(id, initialize(params));
    }
    if (method == "ping") {
        return rpc_result(id, json::object());
    }
    if (method == "tools/list") {
        return rpc_result(id, list_tools());
    }
    if (method == "tools/call") {
        bool invalid = false;
        json result = call_tool(params, invalid);
        if (invalid) {
            return rpc_error(id, -32602, result.get<std::string>());
        }
        return rpc_result(id, std::move(result));
    }
    return rpc_error(id, -32601, "method not found: " + method);
}

json McpServer::initialize(const json& params) const {
    std::string version = kProtocolVersions.front();
    const std::string asked = params.is_object() ? params.value("protocolVersion", "") : "";
    for (const char* supported : kProtocolVersions) {
        if (asked == supported) {
            version = asked;
        }
    }
    return {{"protocolVersion", version},
            {"capabilities", {{"tools", {{"listChanged", false}}}}},
            {"serverInfo", {{"name", "estctl"}, {"version", kVersion}}},
            {"instructions", "EST (RFC 7030) client tools against " + defaults_.server +
                                 ". Pass the EST profile name as `profile`."}};
}

json McpServer::list_tools() const {
    json tools = json::array();
    for (const auto& tool : tools_) {
        tools.push_back({{"name", tool.name},
                         {"description", tool.description},
                         {"inputSchema", tool.input_schema}});
    }
    return {{"tools", tools}};
}

json McpServer::call_tool(const json& params, bool& invalid_params) const {
    if (!params.is_object() || !params.contains("name") || !params["name"].is_string()) {
        invalid_params = true;
        return "tools/call needs params.name";
    }
    const std::string name = params["name"].get<std::string>();
    const json arguments = params.value("arguments", json::object());
    for (const auto& tool : tools_) {
        if (tool.name != name) {
            continue;
        }
        ToolResult result = arguments.is_object()
                                ? tool.run(arguments)
                                : ToolResult{true, {{"error", "arguments must be an object"}}};
        const std::string text =
            result.payload.is_string()
                ? result.payload.get<std::string>()
                : result.payload.dump(2, ' ', false, json::error_handler_t::replace);
        return {{"content", json::array({{{"type", "text"}, {"text", text}}})},
                {"isError", result.is_error}};
    }
    invalid_params = true;
    return "unknown tool: " + name;
}

namespace {

McpServer::ToolResult failure(const Error& error) {
    json payload = {{"error", error_kind(error)}, {"message", error.message}};
    if (error.remote_status != 0) {
        payload["http_status"] = error.remote_status;
    }
    return {true, payload};
}

}  // namespace

McpServer::ToolResult McpServer::admin_profiles(bool stats_only) const {
    auto options = operator_options(defaults_);
    if (!options) {
        return failure(options.error());
    }
    client::OperatorClient api(std::move(options).value());
    auto answer = api.get("/api/v1/admin/est/profiles");
    if (!answer) {
        return failure(answer.error());
    }
    if (!stats_only) {
        return {false, answer->body};
    }
    json stats = json::array();
    for (const auto& profile : answer->body.value("profiles", json::array())) {
        stats.push_back({{"path_id", profile.value("path_id", "")},
                         {"name", profile.value("name", "")},
                         {"counters", profile.value("counters", json::object())}});
    }
    return {false, {{"profiles", stats}}};
}

McpServer::ToolResult McpServer::cacerts(const json& args) const {
    auto options = client_options(call_options(defaults_, args));
    if (!options) {
        return failure(options.error());
    }
    client::EstClient est(std::move(options).value());
    auto certs = est.cacerts();
    if (!certs) {
        return failure(certs.error());
    }
    std::vector<X509*> raw;
    json list = json::array();
    for (const auto& cert : *certs) {
        raw.push_back(cert.get());
        list.push_back(certificate_json(cert.get()));
    }
    auto der = pki::certs_only_der(raw);
    return {false,
            {{"pkcs7_base64", der ? client::base64_one_line(*der) : std::string()},
             {"certificates", list}}};
}

McpServer::ToolResult McpServer::csrattrs(const json& args) const {
    auto options = client_options(call_options(defaults_, args));
    if (!options) {
        return failure(options.error());
    }
    client::EstClient est(std::move(options).value());
    auto attrs = est.csrattrs();
    if (!attrs) {
        return failure(attrs.error());
    }
    json items = json::array();
    for (const auto& item : attrs->items) {
        items.push_back({{"oid", item.oid},
                         {"name", item.name},
                         {"attribute", item.is_attribute},
                         {"values", item.values}});
    }
    return {false,
            {{"required", !attrs->der.empty()},
             {"csrattrs_base64", client::base64_one_line(attrs->der)},
             {"attributes", items}}};
}

McpServer::ToolResult McpServer::enroll(const json& args, bool renewal) const {
    const auto csr_pem = string_argument(args, "csr");
    if (!csr_pem) {
        return failure(Error::input("argument `csr` (a PEM CSR) is required"));
    }
    auto csr = client::csr_from_file_content(*csr_pem);
    if (!csr) {
        return failure(csr.error());
    }
    EstOptions o = call_options(defaults_, args);
    if (renewal) {
        o.cert = string_argument(args, "client_cert_file").value_or(o.cert);
        o.key = string_argument(args, "client_key_file").value_or(o.key);
        if (o.cert.empty()) {
            return failure(Error::input(
                "est_reenroll authenticates with the certificate being renewed: pass "
                "client_cert_file and client_key_file, or start estctl mcp with --cert/--key"));
        }
    }
    auto options = client_options(o);
    if (!options) {
        return failure(options.error());
    }
    client::EstClient est(std::move(options).value());
    const auto op =
        renewal ? client::EnrollOperation::simplereenroll : client::EnrollOperation::simpleenroll;
    auto result = est.enroll(op, *csr);
    if (!result) {
        return failure(result.error());
    }
    if (result->pending) {
        return {false, {{"pending", true}, {"retry_after", result->retry_after}}};
    }
    json payload = certificate_json(result->certificates.front().get());
    std::string chain;
    for (std::size_t i = 1; i < result->certificates.size(); ++i) {
        chain += pki::certificate_pem(result->certificates[i].get());
    }
    payload["certificate_pem"] = payload["pem"];
    payload.erase("pem");
    payload["chain_pem"] = chain;
    return {false, payload};
}

}  // namespace estd::cli
