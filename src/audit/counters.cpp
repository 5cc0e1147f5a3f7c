#include "estd/audit/counters.hpp"

#include "estd/audit/audit_codes.hpp"

namespace estd::audit {

ProfileCounters::ProfileCounters(const std::vector<std::string>& profiles) {
    for (const auto& profile : profiles) {
        Grid& grid = grids_[profile];
        for (auto code : codes::kCountedCodes) {
            grid.emplace(std::string(code), std::make_unique<std::atomic<std::uint64_t>>(0));
        }
    }
}

void ProfileCounters::increment(std::string_view profile, std::string_view code) {
    auto grid = grids_.find(profile);
    if (grid == grids_.end()) {
        return;
    }
    auto cell = grid->second.find(code);
    if (cell != grid->second.end()) {
        cell->second->fetch_add(1, std::memory_order_relaxed);
    }
}

std::uint64_t ProfileCounters::value(std::string_view profile, std::string_view code) const {
    auto grid = grids_.find(profile);
    if (grid == grids_.end()) {
        return 0;
    }
    auto cell = grid->second.find(code);
    return cell == grid->second.end() ? 0 : cell->second->load(std::memory_order_relaxed);
}

std::vector<std::string> ProfileCounters::profiles() const {
    std::vector<std::string> names;
    for (const auto& [name, grid] : grids_) {
        names.push_back(name);
    }
    return names;
}

std::map<std::string, std::uint64_t> ProfileCounters::snapshot(std::string_view profile) const {
    std::map<std::string, std::uint64_t> out;
    auto grid = grids_.find(profile);
    if (grid != grids_.end()) {
        for (const auto& [code, cell] : grid->second) {
            out.emplace(code, cell->load(std::memory_order_relaxed));
        }
    }
    return out;
}

}  // namespace estd::audit
