#include "support/daemon.hpp"

#include <arpa/inet.h>
#include <array>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support/process.hpp"

namespace estd::testing {
std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

namespace {

struct PipeCloser {
    void operator()(FILE* f) const noexcept { pclose(f); }
};

bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout, int* status) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid, status, WNOHANG) == pid) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace

CommandResult run_command(const std::string& command, std::chrono::seconds timeout) {
    const std::string wrapped =
        "timeout " + std::to_string(timeout.count()) + " bash -c " + shell_quote(command);
    CommandResult result;
    std::unique_ptr<FILE, PipeCloser> pipe(popen(wrapped.c_str(), "r"));
    if (!pipe) {
        throw std::runtime_error("popen failed for: " + command);
    }
    std::array<char, 4096> buffer{};
    size_t n = 0;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) {
        result.output.append(buffer.data(), n);
    }
    const int status = pclose(pipe.release());
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return std::filesystem::path(buffer.data());
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::filesystem::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
}

unsigned short free_loopback_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

void make_dev_pki(const std::filesystem::path& dir, const std::string& name) {
    const auto result = run_command(std::string(ESTD_SOURCE_DIR) + "/scripts/dev-pki.sh " +
                                    shell_quote(dir.string()) + " " + shell_quote(name) + " 2>&1");
    if (result.exit_code != 0) {
        throw std::runtime_error("dev-pki.sh failed: " + result.output);
    }
}

Daemon::Environment dev_pki_environment(const std::filesystem::path& dir) {
    const auto pki = [&](const char* file) { return (dir / "pki" / file).string(); };
    return {
        {"CERTCTL_EST_ENABLED", "true"},
        {"CERTCTL_CA_CERT_PATH", pki("ca-chain.crt")},
        {"CERTCTL_CA_KEY_PATH", pki("ca.key")},
        {"CERTCTL_SERVER_TLS_CERT_PATH", pki("tls.crt")},
        {"CERTCTL_SERVER_TLS_KEY_PATH", pki("tls.key")},
        {"CERTCTL_DATA_DIR", (dir / "data").string()},
    };
}

Daemon::~Daemon() {
    if (running()) {
        stop();
    }
}

bool Daemon::start(Environment env, std::chrono::seconds timeout) {
    port_ = free_loopback_port();
    return launch(std::move(env), timeout);
}

bool Daemon::restart(std::chrono::seconds timeout) {
    if (running() || port_ == 0) {
        return false;
    }
    return launch(env_, timeout);
}

bool Daemon::launch(Environment env, std::chrono::seconds timeout) {
    env.emplace("CERTCTL_SERVER_HOST", "127.0.0.1");
    env["CERTCTL_SERVER_PORT"] = std::to_string(port_);
    env.emplace("CERTCTL_SERVER_THREADS", "2");
    if (const char* path = std::getenv("PATH")) {
        env.emplace("PATH", path);
    }
    env_ = env;
    log_path_ = make_temp_dir("estd-log") / "estd.log";

    std::vector<std::string> env_strings;
    for (const auto& [key, value] : env_) {
        env_strings.push_back(key + "=" + value);
    }
    SpawnOptions options;
    options.environment = std::move(env_strings);
    if (file_size_limit_ != 0) {
        options.in_child = [limit_bytes = file_size_limit_] {
            // Both survive execve: an ignored signal stays ignored.
            signal(SIGXFSZ, SIG_IGN);
            rlimit limit{};
            getrlimit(RLIMIT_FSIZE, &limit);
            limit.rlim_cur = static_cast<rlim_t>(limit_bytes);
            setrlimit(RLIMIT_FSIZE, &limit);
        };
    }
    pid_ = spawn({ESTD_BINARY, "serve"}, log_path_, options);
    const bool healthy = wait_until_ready(pid_, timeout, [this] {
        return run_command(
                   "curl -sk --max-time 2 -o /dev/null -w '%{http_code}' " + url("/healthz"),
                   std::chrono::seconds(5))
                   .output == "200";
    });
    if (healthy || pid_ < 0) {
        return healthy;
    }
    kill_hard();
    return false;
}

int Daemon::stop() {
    if (!running()) {
        return -1;
    }
    kill(pid_, SIGTERM);
    int status = 0;
    if (!wait_for_exit(pid_, std::chrono::seconds(15), &status)) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void Daemon::kill_hard() {
    if (!running()) {
        return;
    }
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
}

bool Daemon::raise_file_size_limit() const {
    rlimit limit{};
    if (!running() || prlimit(pid_, RLIMIT_FSIZE, nullptr, &limit) != 0) {
        return false;
    }
    limit.rlim_cur = limit.rlim_max;
    return prlimit(pid_, RLIMIT_FSIZE, &limit, nullptr) == 0;
}

void Daemon::send_signal(int signal_number) const {
    if (running()) {
        kill(pid_, signal_number);
    }
}

CommandResult Daemon::run_once(const Environment& env, const std::string& args) {
    std::string command = "env -i";
    if (const char* path = std::getenv("PATH")) {
        command += " PATH=" + shell_quote(path);
    }
    for (const auto& [key, value] : env) {
        command += " " + shell_quote(key + "=" + value);
    }
    command += " " + shell_quote(ESTD_BINARY) + " " + args + " 2>&1";
    return run_command(command);
}

std::string Daemon::url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
}

std::string Daemon::log() const {
    return log_path_.empty() ? std::string() : read_file(log_path_);
}

}  // namespace estd::testing
