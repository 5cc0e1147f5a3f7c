#include "support/process.hpp"

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace estd::testing {
namespace {

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (auto& entry : strings) {
        result.push_back(entry.data());
    }
    result.push_back(nullptr);
    return result;
}

}  // namespace

pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& output,
            const SpawnOptions& options) {
    // Everything the child needs is built before fork: after it, only
    // async-signal-safe calls.
    auto argv_strings = argv;
    auto env_strings = options.environment;
    const auto argv_pointers = pointers(argv_strings);
    const auto env_pointers = pointers(env_strings);
    const std::string output_path = output.string();

    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        // The program starts with default dispositions whatever the test ignores.
        signal(SIGPIPE, SIG_DFL);
        if (options.own_process_group) {
            setpgid(0, 0);
        }
        if (options.in_child) {
            options.in_child();
        }
        if (options.environment.empty()) {
            execv(argv_pointers[0], argv_pointers.data());
        } else {
            execve(argv_pointers[0], argv_pointers.data(), env_pointers.data());
        }
        _exit(127);
    }
    return pid;
}

bool wait_until_ready(pid_t& pid, std::chrono::milliseconds timeout,
                      const std::function<bool()>& ready, std::chrono::milliseconds interval) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            return false;
        }
        if (ready()) {
            return true;
        }
        std::this_thread::sleep_for(interval);
    }
    return false;
}

}  // namespace estd::testing
