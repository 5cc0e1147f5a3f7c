#include "cli_files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace estd::cli {

using client::ClientError;

client::Expected<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return ClientError::input("cannot read " + path + ": " + std::strerror(errno));
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

client::Expected<std::string> read_password_file(const std::string& path) {
    auto content = read_text_file(path);
    if (!content) {
        return content;
    }
    std::string password = content->substr(0, content->find_first_of("\r\n"));
    if (password.empty()) {
        return ClientError::input("password file " + path + " is empty");
    }
    return password;
}

client::Outcome write_output_file(const std::string& path, std::string_view content,
                                  FileMode mode) {
    const mode_t permissions = mode == FileMode::secret ? 0600 : 0644;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions);
    if (fd < 0) {
        return ClientError::input("cannot write " + path + ": " + std::strerror(errno));
    }
    if (mode == FileMode::secret) {
        ::fchmod(fd, 0600);  // an existing file keeps its mode otherwise
    }
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const std::string reason = std::strerror(errno);
            ::close(fd);
            return ClientError::input("cannot write " + path + ": " + reason);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) {
        return ClientError::input("cannot write " + path + ": " + std::strerror(errno));
    }
    return client::Done{};
}

}  // namespace estd::cli
