#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>

namespace estd::testing {

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout (stderr too when merged by the command)
};

// Runs `command` through bash (so process substitution works), bounded by
// `timeout`, and captures its standard output.
CommandResult run_command(const std::string& command,
                          std::chrono::seconds timeout = std::chrono::seconds(60));

// `text` as one bash word.
std::string shell_quote(const std::string& text);

std::filesystem::path make_temp_dir(const std::string& prefix);
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);
unsigned short free_loopback_port();

// Development PKI from scripts/dev-pki.sh in `dir` (ca.crt, ca.key,
// ca-chain.crt, root-ca.crt, tls.crt, tls.key).
void make_dev_pki(const std::filesystem::path& dir, const std::string& name);

// The real estd binary, started with exactly the given environment (plus
// PATH), on 127.0.0.1 and a free port; stderr/stdout go to a log file.
class Daemon {
  public:
    using Environment = std::map<std::string, std::string>;
    Daemon() = default;
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Starts estd and waits until /healthz answers; false (with the log
    // available) when it exits or does not answer in time.
    bool start(Environment env, std::chrono::seconds timeout = std::chrono::seconds(20));
    // Starts a stopped (or killed) daemon again with the environment and the
    // port of the last start(), as a service manager would after a crash.
    bool restart(std::chrono::seconds timeout = std::chrono::seconds(20));
    // SIGTERM and wait; returns the exit status.
    int stop();
    void kill_hard();
    // Sends `signal_number` (e.g. SIGHUP) to the running daemon.
    void send_signal(int signal_number) const;
    // Runs estd with `args` and the environment to completion (check-config).
    static CommandResult run_once(const Environment& env, const std::string& args);

    // From the next start() on: estd runs with this soft RLIMIT_FSIZE (bytes)
    // and SIGXFSZ ignored, so a write past it fails with EFBIG as on a full
    // disk. The hard limit is untouched, so raise_file_size_limit() can lift
    // it again while estd runs.
    void set_file_size_limit(unsigned long long bytes) { file_size_limit_ = bytes; }
    // Lifts the running daemon's soft RLIMIT_FSIZE to its hard limit.
    bool raise_file_size_limit() const;

    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    unsigned short port() const { return port_; }
    std::string url(const std::string& path) const;
    std::string log() const;
    const Environment& environment() const { return env_; }

  private:
    bool launch(Environment env, std::chrono::seconds timeout);

    pid_t pid_ = -1;
    unsigned short port_ = 0;
    Environment env_;
    std::filesystem::path log_path_;
    unsigned long long file_size_limit_ = 0;  // 0: inherited
};

// EST on, the CA and the TLS key pair from make_dev_pki(dir / "pki", ...),
// the store under dir / "data": what every test's daemon starts from.
Daemon::Environment dev_pki_environment(const std::filesystem::path& dir);

}  // namespace estd::testing
