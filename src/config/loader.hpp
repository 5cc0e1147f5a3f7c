#pragma once

// Private to src/config: the pieces load() is assembled from.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "estd/config/config.hpp"

namespace estd::config::detail {

struct Diagnostics {
    std::vector<std::string> problems;
    std::vector<std::string> warnings;
    // Every variable name a Reader looked up: what this configuration reads.
    std::set<std::string> consulted;
};

// `text` in double quotes, for values in messages (never for secrets).
std::string quoted(std::string_view text);
// "a, b, c"
std::string joined(const std::vector<std::string>& items);

// Typed access to the environment. A bad value becomes a problem that names
// the variable, prefixed with the reader's context (e.g. `EST profile "corp": `),
// and the fallback is returned so reading can go on and find further problems.
// Unset and blank variables read as unset.
class Reader {
  public:
    Reader(const Environment& env, Diagnostics& diagnostics, std::string context = {});
    Reader with_context(std::string context) const;

    const Environment& environment() const { return env_; }
    void problem(const std::string& message) const;
    void warning(const std::string& message) const;

    bool has(const std::string& name) const;
    // Trimmed value, or `fallback` when unset.
    std::string text(const std::string& name, const std::string& fallback = {}) const;
    // Verbatim value (empty when unset or blank). Never put it in a message.
    std::string secret(const std::string& name) const;
    bool boolean(const std::string& name, bool fallback) const;
    std::uint64_t whole_number(const std::string& name, std::uint64_t fallback, std::uint64_t min,
                               std::uint64_t max) const;
    // A positive duration of at most 100 years.
    std::chrono::seconds duration(const std::string& name, std::chrono::seconds fallback) const;
    // Lower-cased value, which must be one of `allowed`.
    std::string one_of(const std::string& name, const std::string& fallback,
                       std::initializer_list<std::string_view> allowed) const;
    // A path that must be set (`what` says what the file holds) and readable.
    std::string required_file(const std::string& name, const std::string& what) const;
    // A path that, when set, must be readable.
    std::string optional_file(const std::string& name) const;

  private:
    const Environment& env_;
    Diagnostics& diagnostics_;
    std::string context_;
};

struct IssuerCatalog {
    std::vector<IssuerConfig> issuers;
    // Every issuer id the operator defined, even one with problems, so that a
    // profile naming it is not reported a second time.
    std::vector<std::string> declared_ids;
};
IssuerCatalog load_issuers(const Reader& reader);

// API keys, webhook, store location (src/config/operator_api.cpp).
void load_operator_settings(const Reader& reader, const DatabaseUrlReader& read_database_url,
                            Config& config);

// Ids from CERTCTL_CERT_PROFILES.
std::vector<std::string> load_certificate_profile_ids(const Reader& reader);

struct CertificateProfiles {
    std::vector<std::string> ids;  // CERTCTL_CERT_PROFILES, then the file's other ids
    std::vector<CertificateProfileConfig> profiles;  // one per id, same order
};
// The listed profiles from their variables, and CERTCTL_CERT_PROFILES_FILE's.
CertificateProfiles load_certificate_profiles(const Reader& reader);

struct EstProfiles {
    std::vector<EstProfileConfig> profiles;
    // Every CERTCTL_EST_* name this configuration reads.
    std::set<std::string> known_variables;
};
EstProfiles load_est_profiles(const Reader& reader, const std::vector<std::string>& issuer_ids,
                              const std::vector<std::string>& certificate_profile_ids);

// Warns about every CERTCTL_EST_* variable not in `known`, with a hint.
void warn_unknown_est_variables(const Reader& reader, const std::set<std::string>& known);

// The known name closest to `variable` by edit distance ("" when `known`
// is empty), and that distance.
struct ClosestName {
    std::string name;
    std::size_t distance = 0;
};
ClosestName closest_known(const std::string& variable, const std::set<std::string>& known);
// " (did you mean X?)" for a near miss, else " (the closest known variable is X)".
std::string closest_known_hint(const std::string& variable, const std::set<std::string>& known);

// Warns about every other CERTCTL_* variable that is not in `known` (the
// CERTCTL_EST_* and CERTCTL_CERT_PROFILE_* families warn on their own),
// naming the closest known variable. Never repeats a value.
void warn_unknown_variables(const Reader& reader, const std::set<std::string>& known);

}  // namespace estd::config::detail
