#pragma once

#include <cstdio>
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

// Appends one JSON object per line to a file and flushes it before
// returning, so a line written is a line kept.
class AuditLogFile final : public AuditSink {
  public:
    static Result<std::unique_ptr<AuditLogFile>> open(const std::filesystem::path& path);
    struct FileCloser {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    using FilePtr = std::unique_ptr<std::FILE, FileCloser>;
    struct Passkey {};  // only open() constructs
    AuditLogFile(Passkey, FilePtr file) : file_(std::move(file)) {}
    Status record(const AuditEvent& event) override;

  private:
    std::mutex mutex_;
    FilePtr file_;
};

std::string to_json_line(const AuditEvent& event);

}  // namespace estd::audit
