#include <algorithm>
#include <array>
#include <iterator>

#include "estd/config/env_parsing.hpp"
#include "file_checks.hpp"
#include "loader.hpp"

namespace estd::config::detail {
namespace {

constexpr std::chrono::seconds kMaxDuration{100LL * 365 * 24 * 3600};

}  // namespace

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += out.empty() ? "" : ", ";
        out += item;
    }
    return out;
}

Reader::Reader(const Environment& env, Diagnostics& diagnostics, std::string context)
    : env_(env), diagnostics_(diagnostics), context_(std::move(context)) {
}

Reader Reader::with_context(std::string context) const {
    return Reader(env_, diagnostics_, std::move(context));
}

void Reader::problem(const std::string& message) const {
    diagnostics_.problems.push_back(context_ + message);
}

void Reader::warning(const std::string& message) const {
    diagnostics_.warnings.push_back(context_ + message);
}

bool Reader::has(const std::string& name) const {
    return !text(name).empty();
}

std::string Reader::text(const std::string& name, const std::string& fallback) const {
    diagnostics_.consulted.insert(name);
    const auto found = env_.find(name);
    if (found == env_.end()) {
        return fallback;
    }
    auto value = env::trim(found->second);
    return value.empty() ? fallback : value;
}

std::string Reader::secret(const std::string& name) const {
    return has(name) ? env_.at(name) : std::string();
}

bool Reader::boolean(const std::string& name, bool fallback) const {
    const auto value = text(name);
    if (value.empty()) {
        return fallback;
    }
    if (const auto parsed = env::parse_bool(value)) {
        return *parsed;
    }
    problem(name + "=" + detail::quoted(value) + " is not a boolean (use true, false, 1 or 0)");
    return fallback;
}

std::uint64_t Reader::whole_number(const std::string& name, std::uint64_t fallback,
                                   std::uint64_t min, std::uint64_t max) const {
    const auto value = text(name);
    if (value.empty()) {
        return fallback;
    }
    const auto parsed = env::parse_unsigned(value, max);
    if (!parsed || *parsed < min) {
        problem(name + "=" + detail::quoted(value) + " is not a whole number from " +
                std::to_string(min) + " to " + std::to_string(max));
        return fallback;
    }
    return *parsed;
}

std::chrono::seconds Reader::duration(const std::string& name,
                                      std::chrono::seconds fallback) const {
    const auto value = text(name);
    if (value.empty()) {
        return fallback;
    }
    const auto parsed = env::parse_duration(value);
    if (!parsed || parsed->count() <= 0 || *parsed > kMaxDuration) {
        problem(name + "=" + detail::quoted(value) +
                " is not a positive duration (seconds, or with a unit: 30s, 5m, 1h, 365d)");
        return fallback;
    }
    return *parsed;
}

std::string Reader::one_of(const std::string& name, const std::string& fallback,
                           std::initializer_list<std::string_view> allowed) const {
    auto value = env::to_lower(text(name));
    if (value.empty()) {
        return fallback;
    }
    std::vector<std::string> names;
    for (const auto candidate : allowed) {
        if (value == candidate) {
            return value;
        }
        names.emplace_back(candidate);
    }
    problem(name + "=" + detail::quoted(text(name)) + " is not one of: " + joined(names));
    return fallback;
}

std::string Reader::required_file(const std::string& name, const std::string& what) const {
    if (!has(name)) {
        problem(name + " is required (" + what + ")");
        return {};
    }
    return optional_file(name);
}

std::string Reader::optional_file(const std::string& name) const {
    auto path = text(name);
    if (path.empty()) {
        return path;
    }
    if (const auto reason = files::unreadable_reason(path)) {
        problem(name + ": cannot read " + path + ": " + *reason);
    }
    return path;
}

ClosestName closest_known(const std::string& variable, const std::set<std::string>& known) {
    ClosestName best;
    for (const auto& candidate : known) {
        const auto distance = env::edit_distance(variable, candidate);
        if (best.name.empty() || distance < best.distance) {
            best = ClosestName{candidate, distance};
        }
    }
    return best;
}

std::string closest_known_hint(const std::string& variable, const std::set<std::string>& known) {
    constexpr std::size_t kNearMiss = 3;
    const auto closest = closest_known(variable, known);
    if (closest.name.empty()) {
        return {};
    }
    return closest.distance <= kNearMiss
               ? " (did you mean " + closest.name + "?)"
               : " (estd does not read it; the closest known variable is " + closest.name + ")";
}

void warn_unknown_variables(const Reader& reader, const std::set<std::string>& known) {
    constexpr std::string_view kPrefix = "CERTCTL_";
    // Families whose loaders warn with their own hints.
    constexpr std::array<std::string_view, 2> kOwnWarnings = {"CERTCTL_EST_",
                                                              "CERTCTL_CERT_PROFILE_"};
    std::set<std::string> candidates;
    std::copy_if(known.begin(), known.end(), std::inserter(candidates, candidates.end()),
                 [&](const std::string& name) { return name.starts_with(kPrefix); });
    for (const auto& entry : reader.environment()) {
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
        const std::string& name = entry.first;
        if (!name.starts_with(kPrefix) || known.contains(name) ||
            std::any_of(kOwnWarnings.begin(), kOwnWarnings.end(),
                        [&](std::string_view family) { return name.starts_with(family); })) {
            continue;
        }
        reader.warning("unknown variable " + name + " \u2014 typo?" +
                       closest_known_hint(name, candidates));
    }
}

}  // namespace estd::config::detail
