#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace estd::audit {

// One counter per audit code per profile. The set of profiles and codes is
// fixed at boot, so the request path only does an atomic increment: no
// locks, and no way for two profiles to share a cell.
class ProfileCounters {
  public:
    explicit ProfileCounters(const std::vector<std::string>& profiles);

    void increment(std::string_view profile, std::string_view code);
    std::uint64_t value(std::string_view profile, std::string_view code) const;
    // The profiles, in name order.
    std::vector<std::string> profiles() const;
    // code -> count for one profile (every counted code, zeros included).
    std::map<std::string, std::uint64_t> snapshot(std::string_view profile) const;

  private:
    using Grid = std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>, std::less<>>;
    std::map<std::string, Grid, std::less<>> grids_;
};

}  // namespace estd::audit
