#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace estd::testing {

struct SpawnOptions {
    // NAME=value entries; empty: the child inherits the test's environment.
    std::vector<std::string> environment;
    // Its own process group, so that a kill of -pid reaches its workers too.
    bool own_process_group = false;
    // Run in the child just before exec (async-signal-safe calls only).
    std::function<void()> in_child;
};

// Starts argv[0] (a path) in the background with its standard output and
// error in `output` and SIGPIPE at its default; the pid, or -1.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& output,
            const SpawnOptions& options = {});

// Polls `ready` until it holds (true), `pid` exits (false, pid set to -1) or
// `timeout` passes (false, the child left running).
bool wait_until_ready(pid_t& pid, std::chrono::milliseconds timeout,
                      const std::function<bool()>& ready,
                      std::chrono::milliseconds interval = std::chrono::milliseconds(100));

}  // namespace estd::testing
