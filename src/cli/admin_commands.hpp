#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "est_options.hpp"

namespace estd::cli {

enum class AdminVerb { profiles, reload_trust, bulk_revoke, certs, audit };

// Flags of the `admin` verbs, as typed.
struct AdminOptions {
    bool json = false;
    // reload-trust
    std::string path_id;
    // bulk-revoke and certs filters
    std::string reason;
    std::string profile_id;
    std::string issuer_id;
    std::string est_profile;
    std::string common_name;
    std::string issued_before;
    std::string issued_after;
    std::vector<std::string> serials;
    std::string status;
    bool include_pem = false;
    // audit filters
    std::string action_prefix;
    std::string profile;
    std::string actor;
    std::string since;
    std::string until;
    // paging
    int limit = 0;
    bool all_pages = false;
};

// Adds profiles, reload-trust, bulk-revoke, certs and audit under `admin`.
void add_admin_commands(CLI::App& admin, EstOptions& options, AdminOptions& admin_options,
                        AdminVerb& chosen);

int run_admin_verb(AdminVerb verb, const EstOptions& options, const AdminOptions& admin);

}  // namespace estd::cli
