#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "estd/audit/audit_event.hpp"
#include "estd/core/error.hpp"

namespace estd::audit {

// Where audit events go. The EST layer depends on this interface only.
class AuditSink {
  public:
    virtual ~AuditSink() = default;
    virtual Status record(const AuditEvent& event) = 0;
};

// Appends one JSON object per line to a file with one write(2) per line
// (O_APPEND), so a line is in the kernel before record() returns and a
// process kill loses none. A failed write (ENOSPC, EFBIG, EIO) is reported
// and leaves no partial line and no buffered line to surface later.
class AuditLogFile final : public AuditSink {
  public:
    static Result<std::unique_ptr<AuditLogFile>> open(const std::filesystem::path& path);
    struct Passkey {};  // only open() constructs
    AuditLogFile(Passkey, std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    ~AuditLogFile() override;
    AuditLogFile(const AuditLogFile&) = delete;
    AuditLogFile& operator=(const AuditLogFile&) = delete;
    Status record(const AuditEvent& event) override;
    // Opens the path again, for log rotation: after the file was moved aside,
    // the next line starts a new file there. On failure the current file
    // stays in use and the error says why.
    Status reopen();
    const std::filesystem::path& path() const { return path_; }

  private:
    const std::filesystem::path path_;
    std::mutex mutex_;
    int fd_;
};

std::string to_json_line(const AuditEvent& event);

}  // namespace estd::audit
