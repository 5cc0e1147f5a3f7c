#include "estd/audit/fan_out.hpp"

#include <chrono>

namespace estd::audit {

Status StoreAuditSink::record(const AuditEvent& event) {
    return store_.append_audit(event, std::chrono::system_clock::now());
}

Status FanOutSink::record(const AuditEvent& event) {
    Status first = Ok{};
    for (auto* sink : sinks_) {
        auto written = sink->record(event);
        if (!written && first) {
            first = std::move(written);
        }
    }
    return first;
}

}  // namespace estd::audit
