#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "estd/client/csr_builder.hpp"
#include "estd/client/est_client.hpp"
#include "estd/client/operator_client.hpp"

namespace estd::cli {

enum class BindingMode { none, challenge_password, attribute, both };

// Every flag of the `est` verbs (and of `mcp`), as typed on the command line.
struct EstOptions {
    std::string server = "https://127.0.0.1:8443";
    std::string profile;
    bool est_mtls_route = false;
    std::string cacert;
    bool insecure = false;
    std::string server_name;
    std::string tls_min = "1.2";
    std::string tls_max = "1.3";
    int timeout_seconds = 30;
    std::string user;
    std::string password_file;
    std::string cert;
    std::string key;
    // CSR
    std::string csr_file;
    std::string csr_key;
    std::string cn;
    std::vector<std::string> dns;
    std::vector<std::string> ip;
    std::vector<std::string> email;
    std::string serial;
    std::string challenge_password_file;
    std::string channel_binding;  // empty: off
    // Output
    std::string out;
    bool der = false;
    std::string decrypt_key;
    bool verbose = false;
    // reenroll: renew only when this much of the lifetime or less remains
    std::string if_remaining;
    // Operator API (admin verbs, MCP admin tools)
    std::string api_key_file;  // else $CERTCTL_API_KEY
};

// Server flags: URL, trust, TLS versions, timeout, verbosity.
void add_server_options(CLI::App& app, EstOptions& options);
// Server flags plus the EST ones: profile, route, Basic and mTLS identity.
void add_connection_options(CLI::App& app, EstOptions& options);
// CSR flags: --csr, or --key/--csr-key with names, and --channel-binding.
void add_csr_options(CLI::App& app, EstOptions& options);
void add_output_options(CLI::App& app, EstOptions& options);

struct ServerEndpoint {
    client::ServerUrl server;
    https::ConnectionOptions connection = client::connection_options();
};
Result<ServerEndpoint> server_endpoint(const EstOptions& options);
Result<client::EstClientOptions> client_options(const EstOptions& options);
// Server endpoint plus the Bearer key: --api-key-file, else $CERTCTL_API_KEY.
Result<client::OperatorClientOptions> operator_options(const EstOptions& options);
Result<BindingMode> binding_mode(const EstOptions& options);

bool has_name_flags(const EstOptions& options);
client::CsrRequest csr_request_from_flags(const EstOptions& options);

// Prints the --insecure warning once per process.
void warn_if_insecure(const EstOptions& options);

}  // namespace estd::cli
