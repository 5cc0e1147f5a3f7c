#include "estd/audit/audit_log.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

#include "estd/core/time_format.hpp"

namespace estd::audit {
namespace {

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
    FilePtr file(std::fopen(path.c_str(), "ae"));
    if (!file) {
        return Error::internal("cannot open audit log " + path.string() + ": " +
                               std::strerror(errno));
    }
    return std::make_unique<AuditLogFile>(Passkey{}, std::move(file));
}

Status AuditLogFile::record(const AuditEvent& event) {
    const std::string line = to_json_line(event);
    std::lock_guard lock(mutex_);
    if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size() ||
        std::fflush(file_.get()) != 0) {
        return Error::internal(std::string("cannot write the audit log: ") + std::strerror(errno));
    }
    return Ok{};
}

}  // namespace estd::audit
