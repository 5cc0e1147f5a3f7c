#pragma once

#include <string>

namespace estd::audit {

// One EST request outcome (or an operator action). `action` is the most
// specific code (e.g. est_auth_failed_basic); `operation_action` is the
// operation's own success/failure code (e.g. est_simple_enroll_failed) so a
// filter on either finds the row.
struct AuditEvent {
    std::string action;
    std::string operation_action;
    std::string profile;
    std::string source_ip;
    std::string subject;
    std::string serial;
    std::string issuer_id;
    std::string request_id;
    std::string actor;
    std::string reason;
    int status = 0;
};

}  // namespace estd::audit
