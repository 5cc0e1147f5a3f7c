// estctl: the EST client (`est` verbs, any RFC 7030 server), estd's operator
// API (`admin` verbs) and an MCP server (`mcp`).
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "admin_commands.hpp"
#include "est_commands.hpp"
#include "est_options.hpp"
#include "est_test_command.hpp"
#include "estd/core/run_main.hpp"
#include "estd/core/version.hpp"
#include "exit_codes.hpp"
#include "mcp_server.hpp"

namespace {

using estd::cli::EstOptions;
using estd::cli::EstVerb;

struct VerbSpec {
    const char* name;
    const char* help;
    EstVerb verb;
    bool builds_csr;
    bool writes_output;
};

constexpr VerbSpec kVerbs[] = {
    {"cacerts", "fetch the CA certificates (PEM, or PKCS#7 DER with --der)", EstVerb::cacerts,
     false, true},
    {"csrattrs", "show what the server wants in a CSR", EstVerb::csrattrs, false, true},
    {"enroll", "simpleenroll: get a certificate for a CSR", EstVerb::enroll, true, true},
    {"reenroll", "simplereenroll: renew --cert over mTLS (CSR names default to the certificate's)",
     EstVerb::reenroll, true, true},
    {"serverkeygen",
     "serverkeygen: the server makes the key; writes OUT.cert.pem and OUT.key.enveloped "
     "(or OUT.key.pem)",
     EstVerb::serverkeygen, true, true},
    {"test", "run cacerts, csrattrs, enroll and reenroll; print PASS/FAIL per step", EstVerb::test,
     true, false},
};

int run(int argc, char** argv) {
    CLI::App app{"estctl: EST (RFC 7030) client and MCP server for estd"};
    app.set_version_flag("--version", std::string("estctl ") + estd::kVersion);
    app.require_subcommand(1);

    EstOptions options;
    EstVerb chosen = EstVerb::cacerts;
    CLI::App* est = app.add_subcommand("est", "EST operations against a server and profile");
    est->require_subcommand(1);
    for (const auto& spec : kVerbs) {
        CLI::App* verb = est->add_subcommand(spec.name, spec.help);
        estd::cli::add_connection_options(*verb, options);
        if (spec.builds_csr) {
            estd::cli::add_csr_options(*verb, options);
        }
        if (spec.writes_output) {
            estd::cli::add_output_options(*verb, options);
        }
        if (spec.verb == EstVerb::serverkeygen) {
            verb->add_option(
                "--decrypt-key", options.decrypt_key,
                "the CSR's private key: also decrypt the enveloped key to OUT.key.pem");
        }
        if (spec.verb == EstVerb::reenroll) {
            verb->add_option("--if-remaining", options.if_remaining,
                             "renew only when at most this part of --cert's lifetime remains "
                             "(e.g. 25%); otherwise send nothing and exit 0");
        }
        const EstVerb value = spec.verb;
        verb->parse_complete_callback([&chosen, value] { chosen = value; });
    }

    estd::cli::AdminOptions admin_options;
    estd::cli::AdminVerb admin_verb = estd::cli::AdminVerb::profiles;
    CLI::App* admin = app.add_subcommand("admin", "estd's operator API (Bearer key)");
    admin->require_subcommand(1);
    estd::cli::add_admin_commands(*admin, options, admin_options, admin_verb);

    CLI::App* mcp = app.add_subcommand(
        "mcp", "Model Context Protocol server on stdio (JSON-RPC 2.0) with the EST tools");
    estd::cli::add_connection_options(*mcp, options);
    mcp->add_option("--api-key-file", options.api_key_file,
                    "Bearer key for est_list_profiles / est_admin_stats (default: "
                    "$CERTCTL_API_KEY)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : estd::cli::kExitUsage;
    }

    if (mcp->parsed()) {
        estd::cli::warn_if_insecure(options);
        estd::cli::McpServer server(options);
        return server.run(std::cin, std::cout);
    }
    if (admin->parsed()) {
        return estd::cli::run_admin_verb(admin_verb, options, admin_options);
    }
    if (chosen == EstVerb::test) {
        return estd::cli::run_est_test(options);
    }
    return estd::cli::run_est_verb(chosen, options);
}

}  // namespace

int main(int argc, char** argv) {
    return estd::run_main("estctl", estd::cli::kExitFailure, [&] { return run(argc, argv); });
}
