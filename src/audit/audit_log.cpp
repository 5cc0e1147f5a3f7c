#include "estd/audit/audit_log.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "estd/core/time_format.hpp"

namespace estd::audit {
namespace {

Result<int> open_for_append(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return Error::internal("cannot open audit log " + path.string() + ": " +
                               std::strerror(errno));
    }
    return fd;
}

void put_if_set(nlohmann::json& out, const char* key, const std::string& value) {
    if (!value.empty()) {
        out[key] = value;
    }
}

}  // namespace

std::string to_json_line(const AuditEvent& event) {
    nlohmann::json line;
    line["time"] = format_utc_rfc3339(std::chrono::system_clock::now());
    line["action"] = event.action;
    put_if_set(line, "operation_action", event.operation_action);
    put_if_set(line, "profile", event.profile);
    put_if_set(line, "source_ip", event.source_ip);
    put_if_set(line, "subject", event.subject);
    put_if_set(line, "serial", event.serial);
    put_if_set(line, "issuer_id", event.issuer_id);
    put_if_set(line, "request_id", event.request_id);
    put_if_set(line, "actor", event.actor);
    put_if_set(line, "reason", event.reason);
    if (event.status != 0) {
        line["status"] = event.status;
    }
    // Replace, not throw, on invalid UTF-8 coming from a client's subject.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::unique_ptr<AuditLogFile>> AuditLogFile::open(const std::filesystem::path& path) {
    auto fd = open_for_append(path);
    if (!fd) {
        return std::move(fd).take_error();
    }
    return std::make_unique<AuditLogFile>(Passkey{}, path, *fd);
}

AuditLogFile::~AuditLogFile() {
    ::close(fd_);
}

Status AuditLogFile::reopen() {
    auto fd = open_for_append(path_);
    if (!fd) {
        return std::move(fd).take_error();
    }
    std::lock_guard lock(mutex_);
    ::close(fd_);
    fd_ = *fd;
    return Ok{};
}

Status AuditLogFile::record(const AuditEvent& event) {
    const std::string line = to_json_line(event);
    std::lock_guard lock(mutex_);
    ssize_t written = 0;
    do {
        written = ::write(fd_, line.data(), line.size());
    } while (written < 0 && errno == EINTR);
    if (written == static_cast<ssize_t>(line.size())) {
        return Ok{};
    }
    const int error = written < 0 ? errno : ENOSPC;  // a short write: the disk filled up
    if (written > 0) {
        // Cut the partial line off again. Only this process appends, under
        // the lock, so the line started where the append left the offset,
        // less what it wrote (asking before every write cost a system call).
        const off_t end = ::lseek(fd_, 0, SEEK_CUR);
        if (end >= written) {
            (void)::ftruncate(fd_, end - written);
        }
    }
    return Error::internal(std::string("cannot write the audit log: ") + std::strerror(error));
}

}  // namespace estd::audit
