#pragma once
// estd's audit log as the tests read it: one JSON object a line.
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/daemon.hpp"

namespace estd::testing {

inline std::vector<nlohmann::json> read_audit_rows(const std::filesystem::path& log) {
    std::vector<nlohmann::json> rows;
    std::istringstream lines(read_file(log));
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
            rows.push_back(nlohmann::json::parse(line));
        }
    }
    return rows;
}

}  // namespace estd::testing
