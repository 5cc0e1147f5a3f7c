// EST profiles: the legacy root profile, or one per name in
// CERTCTL_EST_PROFILES with its CERTCTL_EST_PROFILE_<NAME>_* variables, and
// every boot-time cross-check the guide lists.

#include <algorithm>
#include <array>

#include "estd/config/env_parsing.hpp"
#include "file_checks.hpp"
#include "loader.hpp"

namespace estd::config::detail {
namespace {

constexpr const char* kProfiles = "CERTCTL_EST_PROFILES";
constexpr const char* kLegacyIssuerId = "CERTCTL_EST_ISSUER_ID";
constexpr const char* kLegacyProfileId = "CERTCTL_EST_PROFILE_ID";
constexpr const char* kProfilePrefix = "CERTCTL_EST_PROFILE_";
constexpr const char* kDefaultIssuerId = "iss-local";

constexpr const char* kLegacyBase64Layout = "CERTCTL_EST_BASE64_LAYOUT";
constexpr const char* kDefaultProfile = "CERTCTL_EST_DEFAULT_PROFILE";

constexpr std::array<std::string_view, 7> kGlobalEstVariables = {
    "CERTCTL_EST_ENABLED",     kLegacyIssuerId,     kLegacyProfileId, kProfiles,
    "CERTCTL_EST_DEFAULT_TTL", kLegacyBase64Layout, kDefaultProfile};

constexpr std::array<std::string_view, 11> kProfileKeys = {
    "ISSUER_ID",
    "PROFILE_ID",
    "ENROLLMENT_PASSWORD",
    "MTLS_ENABLED",
    "MTLS_CLIENT_CA_TRUST_BUNDLE_PATH",
    "ALLOWED_AUTH_MODES",
    "CHANNEL_BINDING_REQUIRED",
    "RATE_LIMIT_PER_PRINCIPAL_24H",
    "SERVERKEYGEN_ENABLED",
    "SERVERKEYGEN_KEY_ENCRYPTION",
    "BASE64_LAYOUT",
};

// `est` and `est-mtls` would collide with the route families, the operation
// names with the legacy root's operations.
constexpr std::array<std::string_view, 8> kReservedPathIds = {
    "est",      "est-mtls",     "cacerts", "simpleenroll", "simplereenroll",
    "csrattrs", "serverkeygen", "fullcmc"};

// A name from CERTCTL_EST_PROFILES and what it becomes.
struct ProfileName {
    std::string name;      // as listed, trimmed
    std::string path_id;   // lower-cased: the URL segment
    std::string env_name;  // upper-cased, '-' -> '_': the variable segment
};

template <class Container, class T>
bool contains(const Container& items, const T& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

std::string profile_context(const std::string& display_name, bool legacy) {
    return "EST profile " + (legacy ? display_name : detail::quoted(display_name)) + ": ";
}

std::string est_base_path(const EstProfileConfig& profile) {
    return "/.well-known/est/" + (profile.legacy_root() ? "" : profile.path_id + "/");
}

// Checks one listed name; false when it cannot be served.
bool check_profile_name(const Reader& reader, const ProfileName& name,
                        const std::vector<std::string>& seen_path_ids) {
    const Reader r = reader.with_context(profile_context(name.path_id, false));
    if (!env::valid_path_id(name.path_id)) {
        r.problem(std::string(kProfiles) + " lists " + detail::quoted(name.name) +
                  ": a PathID must be lower-case letters, digits and '-' ([a-z0-9-]+) with no "
                  "leading or trailing '-'");
        return false;
    }
    if (contains(kReservedPathIds, name.path_id)) {
        r.problem(std::string(kProfiles) + " lists " + detail::quoted(name.name) +
                  ": the PathID is reserved (est, est-mtls and the EST operation names cannot "
                  "be profile names)");
        return false;
    }
    if (contains(seen_path_ids, name.path_id)) {
        r.problem(std::string(kProfiles) + " lists the PathID " + detail::quoted(name.path_id) +
                  " more than once");
        return false;
    }
    return true;
}

std::vector<ProfileName> listed_profile_names(const Reader& reader) {
    std::vector<ProfileName> names;
    for (auto& name : env::split_list(reader.text(kProfiles))) {
        ProfileName listed{name, env::to_lower(name), env::env_id(name)};
        names.push_back(std::move(listed));
    }
    if (names.empty()) {
        reader.problem(std::string(kProfiles) + " is set but lists no profile name");
    }
    return names;
}

void check_issuer_reference(const Reader& r, const std::string& variable,
                            const std::string& issuer_id,
                            const std::vector<std::string>& issuer_ids) {
    if (contains(issuer_ids, issuer_id)) {
        return;
    }
    r.problem(variable + " names issuer " + detail::quoted(issuer_id) +
              ", which is not configured (" +
              (issuer_ids.empty()
                   ? std::string("no issuer is configured: set ") +
                         "CERTCTL_CA_CERT_PATH and CERTCTL_CA_KEY_PATH, or " + "CERTCTL_ISSUERS"
                   : "configured: " + joined(issuer_ids)) +
              ")");
}

void check_certificate_profile_reference(const Reader& r, const std::string& variable,
                                         const std::string& profile_id,
                                         const std::vector<std::string>& known) {
    if (profile_id.empty() || contains(known, profile_id)) {
        return;
    }
    r.problem(variable + " names certificate profile " + detail::quoted(profile_id) +
              ", which is not configured (list it in CERTCTL_CERT_PROFILES or define it in "
              "CERTCTL_CERT_PROFILES_FILE" +
              (known.empty() ? std::string() : "; configured: " + joined(known)) + ")");
}

// ALLOWED_AUTH_MODES: mtls, basic, both, or empty for anonymous.
void read_auth_modes(const Reader& r, const std::string& variable, EstProfileConfig& profile) {
    for (const auto& token : env::split_list(r.text(variable))) {
        const auto mode = env::to_lower(token);
        if (mode == "mtls") {
            profile.auth_mtls = true;
        } else if (mode == "basic") {
            profile.auth_basic = true;
        } else {
            r.problem(variable + " has an unknown auth mode " + detail::quoted(token) +
                      " (allowed: mtls, basic; empty means anonymous)");
        }
    }
}

Base64LayoutSetting read_base64_layout(const Reader& r, const std::string& variable) {
    const auto layout = r.one_of(variable, "auto", {"auto", "single-line", "wrapped"});
    if (layout == "single-line") {
        return Base64LayoutSetting::single_line;
    }
    return layout == "wrapped" ? Base64LayoutSetting::wrapped : Base64LayoutSetting::automatic;
}

void read_rate_limit(const Reader& r, const std::string& variable, EstProfileConfig& profile) {
    const auto value = r.text(variable);
    if (value.empty()) {
        return;
    }
    const auto parsed = env::parse_integer(value);
    if (!parsed || *parsed < 0) {
        r.problem(variable + "=" + detail::quoted(value) +
                  " is not a whole number of 0 or more (0 turns the limit off)");
        return;
    }
    profile.rate_limit_per_principal_24h = *parsed;
}

void check_trust_bundle(const Reader& r, const std::string& variable, const std::string& path) {
    if (path.empty()) {
        return;
    }
    if (const auto problem = files::certificate_bundle_problem(path)) {
        r.problem(variable + ": " + path + ": " + *problem);
    }
}

// The cross-checks between a profile's own settings.
void check_auth_requirements(const Reader& r, const EstProfileConfig& profile) {
    const auto& p = profile.env_prefix;
    if (profile.auth_mtls && !profile.mtls_enabled) {
        r.problem(p + "ALLOWED_AUTH_MODES lists mtls but " + p + "MTLS_ENABLED is not true");
    }
    if (profile.auth_mtls && profile.mtls_trust_bundle_path.empty()) {
        r.problem(p + "ALLOWED_AUTH_MODES lists mtls but " + p +
                  "MTLS_CLIENT_CA_TRUST_BUNDLE_PATH is empty");
    }
    if (profile.auth_basic && profile.enrollment_password.empty()) {
        r.problem(p + "ALLOWED_AUTH_MODES lists basic but " + p + "ENROLLMENT_PASSWORD is empty");
    }
    if (profile.channel_binding_required && !(profile.mtls_enabled && profile.auth_mtls)) {
        r.problem(p + "CHANNEL_BINDING_REQUIRED=true needs mTLS: set " + p +
                  "MTLS_ENABLED=true and list mtls in " + p + "ALLOWED_AUTH_MODES");
    }
    if (profile.serverkeygen_enabled && profile.profile_id.empty()) {
        r.problem(p + "SERVERKEYGEN_ENABLED=true needs " + p +
                  "PROFILE_ID (the certificate profile says which key to generate)");
    }
}

void warn_about_auth(const Reader& r, const EstProfileConfig& profile) {
    const auto& p = profile.env_prefix;
    if (profile.anonymous()) {
        r.warning("anonymous: anyone who reaches " + est_base_path(profile) + " can enroll; set " +
                  (profile.legacy_root()
                       ? std::string(kProfiles) + " and per profile ALLOWED_AUTH_MODES"
                       : p + "ALLOWED_AUTH_MODES") +
                  " to basic and/or mtls");
    }
    if (!profile.enrollment_password.empty() && !profile.auth_basic) {
        r.warning(p + "ENROLLMENT_PASSWORD is set but " + p +
                  "ALLOWED_AUTH_MODES does not list basic: the password is not checked");
    }
    if (profile.mtls_enabled && !profile.auth_mtls) {
        r.warning(p + "MTLS_ENABLED=true has no effect: " + p +
                  "ALLOWED_AUTH_MODES does not list mtls");
    }
}

// `servable` is false for a refused name: its variables are still checked, but
// warnings about a profile that cannot exist would only be noise.
EstProfileConfig load_listed_profile(const Reader& reader, const ProfileName& name, bool servable,
                                     const std::vector<std::string>& issuer_ids,
                                     const std::vector<std::string>& certificate_profile_ids) {
    EstProfileConfig profile;
    profile.name = name.name;
    profile.path_id = name.path_id;
    profile.env_prefix = std::string(kProfilePrefix) + name.env_name + "_";
    const auto& p = profile.env_prefix;
    const Reader r = reader.with_context(profile_context(profile.display_name(), false));

    profile.issuer_id = r.text(p + "ISSUER_ID", kDefaultIssuerId);
    profile.profile_id = r.text(p + "PROFILE_ID");
    profile.enrollment_password = r.secret(p + "ENROLLMENT_PASSWORD");
    profile.mtls_enabled = r.boolean(p + "MTLS_ENABLED", false);
    profile.mtls_trust_bundle_path = r.text(p + "MTLS_CLIENT_CA_TRUST_BUNDLE_PATH");
    read_auth_modes(r, p + "ALLOWED_AUTH_MODES", profile);
    profile.channel_binding_required = r.boolean(p + "CHANNEL_BINDING_REQUIRED", false);
    read_rate_limit(r, p + "RATE_LIMIT_PER_PRINCIPAL_24H", profile);
    profile.serverkeygen_enabled = r.boolean(p + "SERVERKEYGEN_ENABLED", false);
    profile.serverkeygen_key_encryption =
        r.one_of(p + "SERVERKEYGEN_KEY_ENCRYPTION", "cms", {"cms", "none"}) == "none"
            ? ServerKeygenEncryption::none
            : ServerKeygenEncryption::cms;
    profile.base64_layout = read_base64_layout(r, p + "BASE64_LAYOUT");

    check_issuer_reference(r, p + "ISSUER_ID", profile.issuer_id, issuer_ids);
    check_certificate_profile_reference(r, p + "PROFILE_ID", profile.profile_id,
                                        certificate_profile_ids);
    check_trust_bundle(r, p + "MTLS_CLIENT_CA_TRUST_BUNDLE_PATH", profile.mtls_trust_bundle_path);
    check_auth_requirements(r, profile);
    if (servable) {
        warn_about_auth(r, profile);
    }
    return profile;
}

// The shape from before CERTCTL_EST_PROFILES: one anonymous profile at the root.
EstProfileConfig load_legacy_profile(const Reader& reader,
                                     const std::vector<std::string>& issuer_ids,
                                     const std::vector<std::string>& certificate_profile_ids) {
    EstProfileConfig profile;
    profile.env_prefix = "CERTCTL_EST_";
    const Reader r = reader.with_context(profile_context(profile.display_name(), true));
    profile.issuer_id = r.text(kLegacyIssuerId, kDefaultIssuerId);
    profile.profile_id = r.text(kLegacyProfileId);
    profile.base64_layout = read_base64_layout(r, kLegacyBase64Layout);
    check_issuer_reference(r, kLegacyIssuerId, profile.issuer_id, issuer_ids);
    check_certificate_profile_reference(r, kLegacyProfileId, profile.profile_id,
                                        certificate_profile_ids);
    warn_about_auth(r, profile);
    return profile;
}

void warn_about_ignored_legacy_variables(const Reader& reader) {
    const std::array<std::pair<const char*, const char*>, 3> legacy = {{
        {kLegacyIssuerId, "ISSUER_ID"},
        {kLegacyProfileId, "PROFILE_ID"},
        {kLegacyBase64Layout, "BASE64_LAYOUT"},
    }};
    for (const auto& [variable, key] : legacy) {
        if (reader.has(variable)) {
            reader.warning(std::string(variable) + " is ignored because " + kProfiles +
                           " is set; use " + kProfilePrefix + "<NAME>_" + key);
        }
    }
}

// CERTCTL_EST_DEFAULT_PROFILE: one listed profile also served label-less.
void mark_default_profile(const Reader& reader, std::vector<EstProfileConfig>& profiles,
                          bool listed) {
    const auto name = reader.text(kDefaultProfile);
    if (name.empty()) {
        return;
    }
    if (!listed) {
        reader.problem(std::string(kDefaultProfile) + " names " + detail::quoted(name) + " but " +
                       kProfiles +
                       " is not set: the legacy profile already serves /.well-known/est/ (list "
                       "the profile in " +
                       kProfiles + ")");
        return;
    }
    const auto path_id = env::to_lower(name);
    std::vector<std::string> names;
    for (auto& profile : profiles) {
        if (profile.path_id == path_id) {
            profile.label_less_default = true;
            return;
        }
        names.push_back(profile.path_id);
    }
    reader.problem(std::string(kDefaultProfile) + " names " + detail::quoted(name) +
                   ", which is not a profile listed in " + kProfiles +
                   " (listed: " + joined(names) + ")");
}

std::set<std::string> known_est_variables(const std::vector<ProfileName>& names) {
    std::set<std::string> known(kGlobalEstVariables.begin(), kGlobalEstVariables.end());
    for (const auto& name : names) {
        for (const auto key : kProfileKeys) {
            known.insert(std::string(kProfilePrefix) + name.env_name + "_" + std::string(key));
        }
    }
    return known;
}

// The <NAME> of CERTCTL_EST_PROFILE_<NAME>_<KEY> when `variable` has that shape.
std::string profile_segment(const std::string& variable) {
    const std::string_view prefix(kProfilePrefix);
    if (variable.rfind(prefix, 0) != 0) {
        return {};
    }
    const std::string_view rest = std::string_view(variable).substr(prefix.size());
    for (const auto key : kProfileKeys) {
        if (rest.size() > key.size() + 1 && rest.ends_with(key) &&
            rest[rest.size() - key.size() - 1] == '_') {
            return std::string(rest.substr(0, rest.size() - key.size() - 1));
        }
    }
    return {};
}

std::string unknown_variable_hint(const std::string& variable, const std::set<std::string>& known) {
    constexpr std::size_t kMaxEdits = 2;
    if (const auto closest = closest_known(variable, known);
        !closest.name.empty() && closest.distance <= kMaxEdits) {
        return " (did you mean " + closest.name + "?)";
    }
    if (const auto segment = profile_segment(variable); !segment.empty()) {
        return " (no profile named " + env::to_lower(segment) + " is listed in " + kProfiles + ")";
    }
    return closest_known_hint(variable, known);
}

}  // namespace

EstProfiles load_est_profiles(const Reader& reader, const std::vector<std::string>& issuer_ids,
                              const std::vector<std::string>& certificate_profile_ids) {
    EstProfiles out;
    if (!reader.has(kProfiles)) {
        out.known_variables = known_est_variables({});
        out.profiles.push_back(load_legacy_profile(reader, issuer_ids, certificate_profile_ids));
        mark_default_profile(reader, out.profiles, false);
        return out;
    }
    warn_about_ignored_legacy_variables(reader);
    const auto names = listed_profile_names(reader);
    out.known_variables = known_est_variables(names);
    std::vector<std::string> seen_path_ids;
    for (const auto& name : names) {
        const bool servable = check_profile_name(reader, name, seen_path_ids);
        const bool duplicate = contains(seen_path_ids, name.path_id);
        seen_path_ids.push_back(name.path_id);
        if (servable || !duplicate) {
            // An unservable name still gets its variables checked, once.
            out.profiles.push_back(
                load_listed_profile(reader, name, servable, issuer_ids, certificate_profile_ids));
        }
    }
    mark_default_profile(reader, out.profiles, true);
    return out;
}

void warn_unknown_est_variables(const Reader& reader, const std::set<std::string>& known) {
    constexpr std::string_view kEstPrefix = "CERTCTL_EST_";
    for (const auto& [name, value] : reader.environment()) {
        if (name.rfind(kEstPrefix, 0) != 0 || known.contains(name)) {
            continue;
        }
        // The value is never repeated: it may be a misspelled password.
        reader.warning("unknown variable " + name + " \u2014 typo?" +
                       unknown_variable_hint(name, known));
    }
}

}  // namespace estd::config::detail
