#include "support/postgres.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <pwd.h>
#include <stdexcept>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace estd::testing {

namespace {

namespace fs = std::filesystem;

// The cluster's superuser, only used to create the estd role and databases.
constexpr const char* kSuperuser = "postgres";
constexpr const char* kSuperuserPassword = "pg-test-superuser";
// The system user the server runs as when the tests run as root.
constexpr const char* kSystemUser = "postgres";
constexpr int kStartAttempts = 3;
constexpr const char* kServerTools[] = {"initdb", "pg_ctl", "postgres", "psql"};

// SQL quoting: the quote character doubled inside.
std::string sql_quoted(const std::string& text, char quote) {
    std::string out(1, quote);
    for (char c : text) {
        out += c;
        if (c == quote) {
            out += quote;
        }
    }
    return out + quote;
}

std::string sql_literal(const std::string& text) {
    return sql_quoted(text, '\'');
}

std::string sql_identifier(const std::string& text) {
    return sql_quoted(text, '"');
}

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string url_encode(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buffer[4];
            std::snprintf(buffer, sizeof(buffer), "%%%02X", c);
            out += buffer;
        }
    }
    return out;
}

bool has_tools(const fs::path& dir) {
    for (const char* tool : kServerTools) {
        if (access((dir / tool).c_str(), X_OK) != 0) {
            return false;
        }
    }
    return true;
}

// Debian's /usr/lib/postgresql/<major>/bin (the newest), else the directory
// of an initdb on PATH; empty when neither has all the tools.
fs::path find_bin_dir() {
    fs::path best;
    int best_major = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(),
                                         [](unsigned char c) { return std::isdigit(c); })) {
            continue;
        }
        const int major = std::stoi(name);
        if (major > best_major && has_tools(entry.path() / "bin")) {
            best_major = major;
            best = entry.path() / "bin";
        }
    }
    if (!best.empty()) {
        return best;
    }
    auto found = run_command("command -v initdb");
    while (!found.output.empty() && std::isspace(static_cast<unsigned char>(found.output.back()))) {
        found.output.pop_back();
    }
    if (found.exit_code == 0 && !found.output.empty()) {
        const fs::path dir = fs::path(found.output).parent_path();
        if (has_tools(dir)) {
            return dir;
        }
    }
    return {};
}

const fs::path& bin_dir() {
    static const fs::path dir = find_bin_dir();
    return dir;
}

std::string tool(const char* name) {
    return shell_quote((bin_dir() / name).string());
}

bool running_as_root() {
    return geteuid() == 0;
}

std::string tail(const std::string& text, size_t max = 4000) {
    return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

void require(bool ok, const std::string& what) {
    if (!ok) {
        throw std::runtime_error("PostgreSQL fixture: " + what);
    }
}

// As root: `dir` owned by the postgres user, and every directory above it
// inside the temporary directory (a TempDir is 0700) traversable by it.
void hand_over_to_system_user(const fs::path& dir) {
    const passwd* user = getpwnam(kSystemUser);
    require(user != nullptr, std::string("no system user ") + kSystemUser);
    std::error_code ec;
    const fs::path temp = fs::weakly_canonical(fs::temp_directory_path(), ec);
    for (fs::path p = fs::weakly_canonical(dir, ec).parent_path(); p.has_relative_path();
         p = p.parent_path()) {
        const auto [t, rel] = std::mismatch(temp.begin(), temp.end(), p.begin(), p.end());
        if (t != temp.end() || rel == p.end()) {
            continue;  // not strictly inside the temporary directory: left alone
        }
        if ((fs::status(p).permissions() & fs::perms::others_exec) == fs::perms::none) {
            fs::permissions(p, fs::perms::others_exec, fs::perm_options::add);
        }
    }
    for (const auto& path : {dir, dir / "pwfile"}) {
        require(::chown(path.c_str(), user->pw_uid, user->pw_gid) == 0,
                "cannot chown " + path.string() + " to " + kSystemUser);
    }
    const auto reachable = run_command("runuser -u " + std::string(kSystemUser) + " -- test -w " +
                                       shell_quote(dir.string()) + " 2>&1");
    require(reachable.exit_code == 0, "the " + std::string(kSystemUser) + " user cannot write " +
                                          dir.string() +
                                          " (is a directory above it not traversable?)");
}

}  // namespace

std::string postgres_unavailable_reason() {
    if (bin_dir().empty()) {
        return "the PostgreSQL server (initdb, pg_ctl, postgres, psql) is not installed "
               "(Debian package postgresql)";
    }
    if (running_as_root()) {
        if (getpwnam(kSystemUser) == nullptr) {
            return std::string("running as root but there is no ") + kSystemUser +
                   " system user to run the server as (Debian package postgresql creates it)";
        }
        if (run_command("command -v runuser >/dev/null").exit_code != 0) {
            return "running as root but runuser is not installed (Debian package util-linux)";
        }
    }
    return {};
}

PostgresServer::PostgresServer(const fs::path& dir)
    : dir_(fs::absolute(dir)), data_dir_(dir_ / "data"), log_path_(dir_ / "postgres.log") {
    if (const auto reason = postgres_unavailable_reason(); !reason.empty()) {
        throw std::runtime_error("PostgreSQL fixture: " + reason);
    }
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
    const fs::path pwfile = dir_ / "pwfile";
    write_file(pwfile, std::string(kSuperuserPassword) + "\n");
    fs::permissions(pwfile, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace);
    if (running_as_root()) {
        hand_over_to_system_user(dir_);
    }

    const auto init =
        as_server_user(tool("initdb") + " -D " + shell_quote(data_dir_.string()) + " -U " +
                       kSuperuser + " -A scram-sha-256 --pwfile=" + shell_quote(pwfile.string()) +
                       " -E UTF8 --locale=C --no-sync --no-instructions");
    fs::remove(pwfile);
    require(init.exit_code == 0, "initdb failed:\n" + tail(init.output));

    start();
    try {
        const auto role = superuser_psql(std::string("CREATE ROLE ") + kUser +
                                         " LOGIN CREATEDB PASSWORD " + sql_literal(kPassword));
        require(role.exit_code == 0, "creating role " + std::string(kUser) + ":\n" + role.output);
    } catch (...) {
        stop();
        throw;
    }
}

PostgresServer::~PostgresServer() {
    stop();
}

CommandResult PostgresServer::as_server_user(const std::string& command) const {
    // cd: the server's user may not be allowed into the current directory.
    const std::string prefix =
        running_as_root() ? "runuser -u " + std::string(kSystemUser) + " -- " : std::string();
    return run_command("cd " + shell_quote(dir_.string()) + " && " + prefix + command + " 2>&1");
}

void PostgresServer::restart() {
    stop();
    start(/*same_port=*/true);
}

void PostgresServer::start(bool same_port) {
    for (int attempt = 1;; ++attempt) {
        const size_t log_start = fs::exists(log_path_) ? fs::file_size(log_path_) : 0;
        if (!same_port) {
            port_ = free_loopback_port();
        }
        const std::string options = "-p " + std::to_string(port_) + " -k " +
                                    shell_quote(dir_.string()) +
                                    " -c listen_addresses=127.0.0.1"
                                    " -c fsync=off -c full_page_writes=off";
        const auto started = as_server_user(
            tool("pg_ctl") + " -D " + shell_quote(data_dir_.string()) + " -l " +
            shell_quote(log_path_.string()) + " -w -t 60 -o " + shell_quote(options) + " start");
        if (started.exit_code == 0) {
            running_ = true;
            return;
        }
        const std::string server_log = log();
        // Someone took the free port between free_loopback_port() and the bind.
        const bool port_taken =
            server_log.find("Address already in use", log_start) != std::string::npos;
        if (!port_taken || same_port || attempt == kStartAttempts) {
            throw std::runtime_error("PostgreSQL fixture: pg_ctl start failed:\n" + started.output +
                                     "\n---- server log ----\n" + tail(server_log));
        }
    }
}

void PostgresServer::stop() noexcept {
    if (!running_) {
        return;
    }
    running_ = false;
    try {
        as_server_user(tool("pg_ctl") + " -D " + shell_quote(data_dir_.string()) +
                       " -m immediate -w -t 30 stop");
    } catch (...) {
        // Nothing to do: the postmaster also exits once its data directory is gone.
    }
}

CommandResult PostgresServer::superuser_psql(const std::string& sql) const {
    return run_command("printf '%s' " + shell_quote(sql) +
                       " | PGPASSWORD=" + shell_quote(kSuperuserPassword) + " " + tool("psql") +
                       " -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                       " -U " + kSuperuser + " -d postgres -f - 2>&1");
}

std::string PostgresServer::create_database(const std::string& name) {
    const auto created = superuser_psql("CREATE DATABASE " + sql_identifier(name) + " OWNER " +
                                        sql_identifier(kUser));
    require(created.exit_code == 0, "creating database " + name + ":\n" + created.output);
    return url(name);
}

std::string PostgresServer::url(const std::string& database) const {
    return std::string("postgresql://") + kUser + ":" + url_encode(kPassword) +
           "@127.0.0.1:" + std::to_string(port_) + "/" + url_encode(database);
}

CommandResult PostgresServer::psql(const std::string& database, const std::string& sql) const {
    return run_command("printf '%s' " + shell_quote(sql) +
                       " | PGPASSWORD=" + shell_quote(kPassword) + " " + tool("psql") +
                       " -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                       " -U " + kUser + " -d " + shell_quote(database) + " -f - 2>&1");
}

void PostgresServer::allow_connections(const std::string& database, bool allowed) const {
    std::string sql = "ALTER DATABASE " + sql_identifier(database) + " ALLOW_CONNECTIONS " +
                      (allowed ? "true" : "false");
    if (!allowed) {
        sql += "; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " +
               sql_literal(database);
    }
    const auto done = psql("postgres", sql);
    if (done.exit_code != 0) {
        throw std::runtime_error("PostgreSQL fixture: " + sql + ": " + done.output);
    }
}

std::string PostgresServer::log() const {
    return read_file(log_path_);
}

}  // namespace estd::testing
