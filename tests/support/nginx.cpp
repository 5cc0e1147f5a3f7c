#include "support/nginx.hpp"

#include <arpa/inet.h>
#include <array>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support/daemon.hpp"
#include "support/process.hpp"

namespace estd::testing {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

bool wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace

std::string nginx_unavailable_reason() {
    if (access(kNginx, X_OK) != 0) {
        return std::string(kNginx) + " is missing: run scripts/install-deps.sh (package nginx)";
    }
    return {};
}

bool loopback_port_open(unsigned short port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool open = connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return open;
}

Nginx::~Nginx() {
    stop();
}

bool Nginx::start(const std::filesystem::path& conf, unsigned short port,
                  std::chrono::seconds timeout) {
    std::filesystem::create_directories(dir_ / "tmp");
    SpawnOptions options;
    options.own_process_group = true;  // the workers go with the master
    pid_ = spawn({kNginx, "-p", dir_.string() + "/", "-e", (dir_ / "error.log").string(), "-c",
                  conf.string(), "-g", "daemon off;"},
                 dir_ / "nginx.out", options);
    if (wait_until_ready(
            pid_, timeout, [port] { return loopback_port_open(port); },
            std::chrono::milliseconds(50))) {
        return true;
    }
    if (pid_ < 0) {
        return false;
    }
    stop();
    return false;
}

void Nginx::stop() {
    if (pid_ <= 0) {
        return;
    }
    kill(pid_, SIGQUIT);  // graceful: workers finish their requests
    if (!wait_exit(pid_, std::chrono::seconds(10))) {
        kill(-pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
    }
    pid_ = -1;
}

std::string Nginx::log() const {
    std::string text;
    for (const auto* name : {"nginx.out", "error.log"}) {
        if (std::filesystem::exists(dir_ / name)) {
            text += "---- " + std::string(name) + " ----\n" + read_file(dir_ / name);
        }
    }
    return text;
}

}  // namespace estd::testing
