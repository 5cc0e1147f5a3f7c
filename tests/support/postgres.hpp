#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/daemon.hpp"

namespace estd::testing {

// Why PostgreSQL tests cannot run here (the server binaries, or when root
// the `postgres` user or runuser, missing), or empty when they can.
// scripts/install-deps.sh installs the server (Debian package postgresql).
std::string postgres_unavailable_reason();

// In a test body or SetUp: skips the test when PostgreSQL is missing, and
// fails it under CI=true, where scripts/install-deps.sh installs it.
#define ESTD_REQUIRE_POSTGRES()                                                                    \
    do {                                                                                           \
        if (const auto reason = ::estd::testing::postgres_unavailable_reason(); !reason.empty()) { \
            if (std::getenv("CI") != nullptr) {                                                    \
                FAIL() << reason;                                                                  \
            }                                                                                      \
            GTEST_SKIP() << reason;                                                                \
        }                                                                                          \
    } while (false)

// A PostgreSQL server of its own: a cluster initialised in `dir` (dir/data,
// log dir/postgres.log), listening on 127.0.0.1 on a free port (and its unix
// socket inside `dir`), password authentication (scram-sha-256) for a role
// "estd" with password kPassword that owns the databases it creates. Stopped
// (immediate) in the destructor, which must run before `dir` is removed.
// Failures throw std::runtime_error with the command output or log tail.
//
// initdb refuses to run as root: as root the server runs as the `postgres`
// system user (Debian's package creates it), `dir` is chowned to it and the
// directories above `dir` inside the temporary directory get o+x.
class PostgresServer {
  public:
    static constexpr const char* kUser = "estd";
    static constexpr const char* kPassword = "pg-test-secret";

    explicit PostgresServer(const std::filesystem::path& dir);
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    int port() const { return port_; }
    // Creates database `name` owned by estd; returns url(name).
    std::string create_database(const std::string& name);
    // postgresql://estd:pg-test-secret@127.0.0.1:<port>/<database>
    std::string url(const std::string& database) const;
    // Runs `sql` (one or more statements) through psql as estd on
    // `database` over TCP: unaligned, tuples only (`SELECT 1` gives "1\n"),
    // stopping at the first error (exit code 3). Output merges stderr.
    CommandResult psql(const std::string& database, const std::string& sql) const;
    // Lets `database` take connections again, or refuses new ones and ends
    // those it has (a database that went away, as estd sees it). Throws
    // std::runtime_error with psql's output when that fails.
    void allow_connections(const std::string& database, bool allowed) const;
    // Stops the server (immediate: connections are cut, as in a crash) and
    // starts it again on the same port. Throws like the constructor.
    void restart();
    // The server log, for a failing test to print.
    std::string log() const;

  private:
    // `command` as the server's user: through runuser when root.
    CommandResult as_server_user(const std::string& command) const;
    // psql as the superuser on database postgres.
    CommandResult superuser_psql(const std::string& sql) const;
    // `same_port`: on port_ again (a restart), not on a new free port.
    void start(bool same_port = false);
    void stop() noexcept;

    std::filesystem::path dir_;
    std::filesystem::path data_dir_;
    std::filesystem::path log_path_;
    int port_ = 0;
    bool running_ = false;
};

}  // namespace estd::testing
