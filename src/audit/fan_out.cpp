#include "estd/audit/fan_out.hpp"

namespace estd::audit {

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
