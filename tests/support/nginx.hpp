#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/types.h>

namespace estd::testing {

// Why nginx tests cannot run here (the binary missing), or empty when they
// can. scripts/install-deps.sh installs it (Debian packages nginx,
// libnginx-mod-stream).
std::string nginx_unavailable_reason();

// Debian's nginx as the current user, in the foreground, with everything it
// writes in `dir` (no /etc/nginx, no /var/log/nginx):
//   nginx -p <dir> -e <dir>/error.log -c <conf> -g 'daemon off;'
// `conf` must put its pid file, logs and temp paths under `dir` and listen
// on 127.0.0.1 only. Stopped (SIGQUIT, then SIGKILL) in the destructor.
class Nginx {
  public:
    explicit Nginx(std::filesystem::path dir) : dir_(std::move(dir)) {}
    ~Nginx();
    Nginx(const Nginx&) = delete;
    Nginx& operator=(const Nginx&) = delete;

    // Starts nginx and waits until 127.0.0.1:`port` accepts connections;
    // false (see log()) when it exits or does not listen in time.
    bool start(const std::filesystem::path& conf, unsigned short port,
               std::chrono::seconds timeout = std::chrono::seconds(10));
    void stop();
    bool running() const { return pid_ > 0; }
    // nginx's error log and its standard output/error.
    std::string log() const;

  private:
    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

// True when 127.0.0.1:`port` accepts a TCP connection.
bool loopback_port_open(unsigned short port);

}  // namespace estd::testing
