#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "est_options.hpp"

namespace estd::cli {

// A Model Context Protocol server over stdio: newline-delimited JSON-RPC
// 2.0 (initialize, ping, tools/list, tools/call) exposing the guide's six
// EST tools. Tool failures are results with isError true, never crashes.
class McpServer {
  public:
    explicit McpServer(EstOptions defaults);

    // Serves until end of input; returns the process exit code.
    int run(std::istream& in, std::ostream& out);

    // One message in, the response out (nullopt for notifications).
    std::optional<nlohmann::json> handle(const nlohmann::json& message);

    struct ToolResult {
        bool is_error = false;
        nlohmann::json payload;  // rendered as the text content
    };

  private:
    struct Tool {
        std::string name;
        std::string description;
        nlohmann::json input_schema;
        std::function<ToolResult(const nlohmann::json& arguments)> run;
    };

    nlohmann::json initialize(const nlohmann::json& params) const;
    nlohmann::json list_tools() const;
    nlohmann::json call_tool(const nlohmann::json& params, bool& invalid_params) const;

    ToolResult cacerts(const nlohmann::json& args) const;
    ToolResult csrattrs(const nlohmann::json& args) const;
    ToolResult enroll(const nlohmann::json& args, bool renewal) const;
    ToolResult admin_profiles(bool stats_only) const;

    EstOptions defaults_;
    std::vector<Tool> tools_;
};

}  // namespace estd::cli
