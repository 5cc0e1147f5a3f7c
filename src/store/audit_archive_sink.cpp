#include "estd/store/audit_archive_sink.hpp"

#include <chrono>

namespace estd::store {

Status AuditArchiveSink::record(const audit::AuditEvent& event) {
    return archive_.append_audit(event, std::chrono::system_clock::now());
}

}  // namespace estd::store
