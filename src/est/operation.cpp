#include "estd/est/operation.hpp"

#include <array>
#include <utility>

#include "estd/audit/audit_codes.hpp"

namespace estd::est {
namespace {

constexpr std::array<std::pair<std::string_view, Operation>, 6> kOperations = {{
    {"cacerts", Operation::cacerts},
    {"simpleenroll", Operation::simpleenroll},
    {"simplereenroll", Operation::simplereenroll},
    {"csrattrs", Operation::csrattrs},
    {"serverkeygen", Operation::serverkeygen},
    {"fullcmc", Operation::fullcmc},
}};

}  // namespace

std::optional<Operation> parse_operation(std::string_view name) {
    for (const auto& [text, op] : kOperations) {
        if (text == name) {
            return op;
        }
    }
    return std::nullopt;
}

std::string_view operation_name(Operation op) {
    for (const auto& [text, candidate] : kOperations) {
        if (candidate == op) {
            return text;
        }
    }
    return "unknown";
}

bool is_enrollment(Operation op) {
    return op == Operation::simpleenroll || op == Operation::simplereenroll ||
           op == Operation::serverkeygen;
}

bool operation_takes_body(Operation op) {
    return op != Operation::cacerts && op != Operation::csrattrs;
}

std::string_view success_code(Operation op) {
    switch (op) {
        case Operation::simpleenroll:
            return audit::codes::kSimpleEnrollSuccess;
        case Operation::simplereenroll:
            return audit::codes::kSimpleReenrollSuccess;
        case Operation::serverkeygen:
            return audit::codes::kServerKeygenSuccess;
        case Operation::cacerts:
            return audit::codes::kCacertsSuccess;
        case Operation::csrattrs:
            return audit::codes::kCsrattrsSuccess;
        case Operation::fullcmc:
            return audit::codes::kFullCmcNotImplemented;
    }
    return {};
}

std::string_view failure_code(Operation op) {
    switch (op) {
        case Operation::simpleenroll:
            return audit::codes::kSimpleEnrollFailed;
        case Operation::simplereenroll:
            return audit::codes::kSimpleReenrollFailed;
        case Operation::serverkeygen:
            return audit::codes::kServerKeygenFailed;
        case Operation::fullcmc:
            return audit::codes::kFullCmcNotImplemented;
        case Operation::cacerts:
        case Operation::csrattrs:
            return {};
    }
    return {};
}

}  // namespace estd::est
