#include "cli_files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace estd::cli {

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error::input("cannot read " + path + ": " + std::strerror(errno));
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

Result<std::string> read_password_file(const std::string& path) {
    auto content = read_text_file(path);
    if (!content) {
        return content;
    }
    std::string password = content->substr(0, content->find_first_of("\r\n"));
    if (password.empty()) {
        return Error::input("password file " + path + " is empty");
    }
    return password;
}

namespace {

Status write_all(int fd, const std::string& path, std::string_view content) {
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return Error::input("cannot write " + path + ": " + std::strerror(errno));
        }
        written += static_cast<std::size_t>(n);
    }
    return Ok{};
}

Status write_in_place(const std::string& path, std::string_view content, FileMode mode) {
    const mode_t permissions = mode == FileMode::secret ? 0600 : 0644;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions);
    if (fd < 0) {
        return Error::input("cannot write " + path + ": " + std::strerror(errno));
    }
    auto written = write_all(fd, path, content);
    if (::close(fd) != 0 && written) {
        return Error::input("cannot write " + path + ": " + std::strerror(errno));
    }
    return written;
}

}  // namespace

Status write_output_file(const std::string& path, std::string_view content, FileMode mode) {
    struct stat existing {};
    const bool exists = ::lstat(path.c_str(), &existing) == 0;  // a symlink: in place
    if (exists && !S_ISREG(existing.st_mode)) {
        return write_in_place(path, content, mode);
    }
    // A replaced public file keeps its mode, as the truncating write did; a
    // new one gets 0644 less the umask, as open() would give it.
    mode_t permissions = 0600;
    if (mode == FileMode::public_data) {
        if (exists) {
            permissions = existing.st_mode & 07777;
        } else {
            const mode_t mask = ::umask(0);
            ::umask(mask);
            permissions = 0644 & ~mask;
        }
    }
    std::string temporary = path + ".tmp-XXXXXX";
    const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
    if (fd < 0) {
        return Error::input("cannot write " + path + ": " + std::strerror(errno));
    }
    auto written = write_all(fd, path, content);
    if (written && (::fchmod(fd, permissions) != 0 || ::fsync(fd) != 0)) {
        written = Error::input("cannot write " + path + ": " + std::strerror(errno));
    }
    if (::close(fd) != 0 && written) {
        written = Error::input("cannot write " + path + ": " + std::strerror(errno));
    }
    if (written && ::rename(temporary.c_str(), path.c_str()) != 0) {
        written = Error::input("cannot write " + path + ": " + std::strerror(errno));
    }
    if (!written) {
        ::unlink(temporary.c_str());
    }
    return written;
}

}  // namespace estd::cli
