// Certificate profiles: the ids listed in CERTCTL_CERT_PROFILES, defined by
// their CERTCTL_CERT_PROFILE_<ID>_* variables, and the profiles of the JSON
// file named by CERTCTL_CERT_PROFILES_FILE. Every problem names the variable
// or the JSON member it comes from.

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "estd/config/env_parsing.hpp"
#include "file_checks.hpp"
#include "loader.hpp"

namespace estd::config {

std::string KeyAlgorithm::name() const {
    switch (type) {
        case Type::ec_p256:
            return "EC-P256";
        case Type::ec_p384:
            return "EC-P384";
        case Type::ed25519:
            return "ED25519";
        case Type::rsa:
            return "RSA-" + std::to_string(rsa_min_bits);
    }
    return "unknown";
}

std::string_view san_type_name(SanType type) {
    switch (type) {
        case SanType::dns:
            return "dns";
        case SanType::ip:
            return "ip";
        case SanType::email:
            return "email";
        case SanType::uri:
            return "uri";
    }
    return "unknown";
}

namespace {

struct NamedAttribute {
    RequiredAttribute attribute;
    std::string_view name;
    std::string_view short_name;
};

constexpr std::array<NamedAttribute, 5> kRequiredAttributes = {{
    {RequiredAttribute::device_serial_number, "deviceSerialNumber", "serialNumber"},
    {RequiredAttribute::common_name, "commonName", "CN"},
    {RequiredAttribute::organization, "organizationName", "O"},
    {RequiredAttribute::organizational_unit, "organizationalUnitName", "OU"},
    {RequiredAttribute::country, "countryName", "C"},
}};

}  // namespace

std::string_view required_attribute_name(RequiredAttribute attribute) {
    for (const auto& entry : kRequiredAttributes) {
        if (entry.attribute == attribute) {
            return entry.name;
        }
    }
    return "unknown";
}

const CertificateProfileConfig* Config::find_certificate_profile(const std::string& id) const {
    const auto found =
        std::find_if(certificate_profiles.begin(), certificate_profiles.end(),
                     [&id](const CertificateProfileConfig& profile) { return profile.id == id; });
    return found == certificate_profiles.end() ? nullptr : &*found;
}

namespace detail {
namespace {

// ordered: profiles keep the file's order (ids, messages, check-config).
using Json = nlohmann::ordered_json;

constexpr const char* kProfilesFile = "CERTCTL_CERT_PROFILES_FILE";
constexpr const char* kVariablePrefix = "CERTCTL_CERT_PROFILE_";
constexpr unsigned kRsaMinBits = 2048;
// Larger keys are legal but a minimum above this would make serverkeygen
// (which generates the minimum) take minutes per request.
constexpr unsigned kRsaMaxBits = 8192;
constexpr std::uint64_t kMaxTtlSeconds = 100ULL * 365 * 24 * 3600;

struct NamedUsage {
    std::string_view name;
    std::string_view oid;
};

// RFC 5280 §4.2.1.12 and the usages device fleets ask for.
constexpr std::array<NamedUsage, 10> kKnownUsages = {{
    {"serverAuth", "1.3.6.1.5.5.7.3.1"},
    {"clientAuth", "1.3.6.1.5.5.7.3.2"},
    {"codeSigning", "1.3.6.1.5.5.7.3.3"},
    {"emailProtection", "1.3.6.1.5.5.7.3.4"},
    {"timeStamping", "1.3.6.1.5.5.7.3.8"},
    {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
    {"eapOverPPP", "1.3.6.1.5.5.7.3.13"},
    {"eapOverLAN", "1.3.6.1.5.5.7.3.14"},
    {"ipsecIKE", "1.3.6.1.5.5.7.3.17"},
    {"msSmartcardLogin", "1.3.6.1.4.1.311.20.2.2"},
}};
constexpr std::string_view kAnyExtendedKeyUsage = "2.5.29.37.0";

// The settings a profile has, under their variable suffix; the JSON file uses
// the same names lower-cased.
enum class Setting {
    key_algorithms,
    ekus,
    san_types,
    dns_suffixes,
    email_domains,
    required_attributes,
    max_ttl,
    must_staple,
    allow_wildcard_dns,
    allow_small_rsa_exponent,
};
struct NamedSetting {
    Setting setting;
    std::string_view suffix;
};
constexpr std::array<NamedSetting, 10> kSettings = {{
    {Setting::key_algorithms, "ALLOWED_KEY_ALGORITHMS"},
    {Setting::ekus, "ALLOWED_EKUS"},
    {Setting::san_types, "ALLOWED_SAN_TYPES"},
    {Setting::dns_suffixes, "SAN_DNS_SUFFIXES"},
    {Setting::email_domains, "SAN_EMAIL_DOMAINS"},
    {Setting::required_attributes, "REQUIRED_CSR_ATTRIBUTES"},
    {Setting::max_ttl, "MAX_TTL_SECONDS"},
    {Setting::must_staple, "MUST_STAPLE"},
    {Setting::allow_wildcard_dns, "ALLOW_WILDCARD_DNS"},
    {Setting::allow_small_rsa_exponent, "ALLOW_SMALL_RSA_EXPONENT"},
}};

bool is_flag(Setting setting) {
    return setting == Setting::must_staple || setting == Setting::allow_wildcard_dns ||
           setting == Setting::allow_small_rsa_exponent;
}

bool& flag(CertificateProfileConfig& profile, Setting setting) {
    switch (setting) {
        case Setting::allow_wildcard_dns:
            return profile.allow_wildcard_dns;
        case Setting::allow_small_rsa_exponent:
            return profile.allow_small_rsa_exponent;
        default:
            return profile.must_staple;
    }
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return env::to_lower(a) == env::to_lower(b);
}

std::string json_key(std::string_view suffix) {
    return env::to_lower(suffix);
}

// 0, 1 or 2, then one or more arcs; no leading zeros.
bool valid_dotted_oid(std::string_view text) {
    if (text.size() < 3 || text[0] < '0' || text[0] > '2' || text[1] != '.') {
        return false;
    }
    std::size_t arc_start = 2;
    for (std::size_t i = 2; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '.') {
            const auto arc = text.substr(arc_start, i - arc_start);
            if (arc.empty() || (arc.size() > 1 && arc[0] == '0')) {
                return false;
            }
            arc_start = i + 1;
        } else if (text[i] < '0' || text[i] > '9') {
            return false;
        }
    }
    return true;
}

// A DNS name without a trailing dot: labels of letters, digits and '-'.
bool valid_domain(std::string_view name) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        const auto end = std::min(name.find('.', start), name.size());
        const auto label = name.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            !std::all_of(label.begin(), label.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            })) {
            return false;
        }
        start = end + 1;
    }
    return true;
}

std::string known_usage_names() {
    std::string names;
    for (const auto& usage : kKnownUsages) {
        names += names.empty() ? "" : ", ";
        names += usage.name;
    }
    return names;
}

// Turns the text of each setting into its typed value. `where` is what a
// problem names: the variable, or the file and JSON member.
class ProfileParser {
  public:
    ProfileParser(const Reader& reader, CertificateProfileConfig& profile)
        : r_(reader), profile_(profile) {}

    void parse_list(Setting setting, const std::string& where,
                    const std::vector<std::string>& items) {
        if (items.empty()) {
            r_.problem(where + " is set but lists nothing");
            return;
        }
        switch (setting) {
            case Setting::key_algorithms:
                key_algorithms(where, items);
                break;
            case Setting::ekus:
                ekus(where, items);
                break;
            case Setting::san_types:
                san_types(where, items);
                break;
            case Setting::dns_suffixes:
                profile_.san_dns_suffixes = domains(where, items, "*.");
                break;
            case Setting::email_domains:
                profile_.san_email_domains = domains(where, items, "@");
                break;
            case Setting::required_attributes:
                required_attributes(where, items);
                break;
            case Setting::max_ttl:
            case Setting::must_staple:
            case Setting::allow_wildcard_dns:
            case Setting::allow_small_rsa_exponent:
                break;
        }
    }

    // Cross-checks between settings, once all are read.
    void check_consistency(const std::string& dns_where, const std::string& email_where) const {
        if (!profile_.san_dns_suffixes.empty() && !allows(SanType::dns)) {
            r_.warning(dns_where + " has no effect: DNS names are not in the allowed SAN types");
        }
        if (!profile_.san_email_domains.empty() && !allows(SanType::email)) {
            r_.warning(email_where +
                       " has no effect: email addresses are not in the allowed SAN types");
        }
    }

  private:
    bool allows(SanType type) const {
        return !profile_.allowed_san_types ||
               std::find(profile_.allowed_san_types->begin(), profile_.allowed_san_types->end(),
                         type) != profile_.allowed_san_types->end();
    }

    std::optional<KeyAlgorithm> key_algorithm(const std::string& where, const std::string& item) {
        const auto upper = env::env_id(item);  // upper-cased; '-' became '_'
        if (upper == "EC_P256") {
            return KeyAlgorithm{KeyAlgorithm::Type::ec_p256, 0};
        }
        if (upper == "EC_P384") {
            return KeyAlgorithm{KeyAlgorithm::Type::ec_p384, 0};
        }
        if (upper == "ED25519") {
            return KeyAlgorithm{KeyAlgorithm::Type::ed25519, 0};
        }
        if (upper.rfind("RSA_", 0) == 0) {
            const auto bits = env::parse_unsigned(upper.substr(4), kRsaMaxBits);
            if (bits && *bits >= kRsaMinBits) {
                return KeyAlgorithm{KeyAlgorithm::Type::rsa, static_cast<unsigned>(*bits)};
            }
            r_.problem(where + " lists " + detail::quoted(item) +
                       ": RSA-n needs a minimum size n from " + std::to_string(kRsaMinBits) +
                       " to " + std::to_string(kRsaMaxBits) + " bits");
            return std::nullopt;
        }
        r_.problem(where + " lists " + detail::quoted(item) +
                   ", which is not a known key algorithm (allowed: EC-P256, EC-P384, RSA-<n> "
                   "such as RSA-2048, ED25519)");
        return std::nullopt;
    }

    void key_algorithms(const std::string& where, const std::vector<std::string>& items) {
        std::vector<KeyAlgorithm> algorithms;
        for (const auto& item : items) {
            const auto algorithm = key_algorithm(where, item);
            if (!algorithm) {
                continue;
            }
            const bool same_type =
                std::any_of(algorithms.begin(), algorithms.end(),
                            [&](const KeyAlgorithm& seen) { return seen.type == algorithm->type; });
            if (same_type) {
                r_.problem(where + " lists " +
                           (algorithm->type == KeyAlgorithm::Type::rsa ? std::string("RSA")
                                                                       : detail::quoted(item)) +
                           " more than once");
                continue;
            }
            algorithms.push_back(*algorithm);
        }
        profile_.allowed_key_algorithms = std::move(algorithms);
    }

    std::optional<ExtendedKeyUsage> eku(const std::string& where, const std::string& item) {
        for (const auto& usage : kKnownUsages) {
            if (equal_ignoring_case(item, usage.name) || item == usage.oid) {
                return ExtendedKeyUsage{std::string(usage.name), std::string(usage.oid)};
            }
        }
        if (item == kAnyExtendedKeyUsage || equal_ignoring_case(item, "anyExtendedKeyUsage")) {
            r_.problem(where +
                       " lists anyExtendedKeyUsage, which would let the certificate be "
                       "used for anything: list the usages themselves");
            return std::nullopt;
        }
        if (valid_dotted_oid(item)) {
            return ExtendedKeyUsage{item, item};
        }
        r_.problem(where + " lists " + detail::quoted(item) +
                   ", which is neither a known extended key usage (" + known_usage_names() +
                   ") nor a dotted OID such as 1.3.6.1.5.5.7.3.2");
        return std::nullopt;
    }

    void ekus(const std::string& where, const std::vector<std::string>& items) {
        std::vector<ExtendedKeyUsage> usages;
        for (const auto& item : items) {
            auto usage = eku(where, item);
            if (!usage) {
                continue;
            }
            if (std::any_of(usages.begin(), usages.end(),
                            [&](const ExtendedKeyUsage& seen) { return seen.oid == usage->oid; })) {
                r_.problem(where + " lists " + usage->name + " more than once");
                continue;
            }
            usages.push_back(std::move(*usage));
        }
        profile_.allowed_ekus = std::move(usages);
    }

    void san_types(const std::string& where, const std::vector<std::string>& items) {
        std::vector<SanType> types;
        for (const auto& item : items) {
            const auto lower = env::to_lower(item);
            if (lower == "none" && items.size() == 1) {
                break;  // no SAN at all
            }
            std::optional<SanType> type;
            for (const auto candidate : {SanType::dns, SanType::ip, SanType::email, SanType::uri}) {
                if (lower == san_type_name(candidate)) {
                    type = candidate;
                }
            }
            if (!type) {
                r_.problem(where + " lists " + detail::quoted(item) +
                           ", which is not a SAN type (allowed: dns, ip, email, uri; or none "
                           "alone)");
            } else if (std::find(types.begin(), types.end(), *type) != types.end()) {
                r_.problem(where + " lists " + lower + " more than once");
            } else {
                types.push_back(*type);
            }
        }
        profile_.allowed_san_types = std::move(types);
    }

    // Domains, lower-cased, with an optional `decoration` prefix ("*." for
    // DNS suffixes, "@" for email domains) and a leading dot removed.
    std::vector<std::string> domains(const std::string& where,
                                     const std::vector<std::string>& items,
                                     std::string_view decoration) {
        std::vector<std::string> out;
        for (const auto& item : items) {
            auto domain = env::to_lower(item);
            if (domain.rfind(decoration, 0) == 0) {
                domain.erase(0, decoration.size());
            }
            if (!domain.empty() && domain.front() == '.') {
                domain.erase(0, 1);
            }
            if (!valid_domain(domain)) {
                r_.problem(where + " lists " + detail::quoted(item) +
                           ", which is not a domain name");
            } else if (std::find(out.begin(), out.end(), domain) == out.end()) {
                out.push_back(std::move(domain));
            }
        }
        return out;
    }

    void required_attributes(const std::string& where, const std::vector<std::string>& items) {
        std::vector<RequiredAttribute> attributes;
        for (const auto& item : items) {
            const auto found = std::find_if(kRequiredAttributes.begin(), kRequiredAttributes.end(),
                                            [&](const NamedAttribute& entry) {
                                                return equal_ignoring_case(item, entry.name) ||
                                                       equal_ignoring_case(item, entry.short_name);
                                            });
            if (found == kRequiredAttributes.end()) {
                std::string known;
                for (const auto& entry : kRequiredAttributes) {
                    known += (known.empty() ? "" : ", ") + std::string(entry.name);
                }
                r_.problem(where + " lists " + detail::quoted(item) +
                           ", which is not a known CSR attribute (known: " + known + ")");
            } else if (std::find(attributes.begin(), attributes.end(), found->attribute) ==
                       attributes.end()) {
                attributes.push_back(found->attribute);
            }
        }
        profile_.required_csr_attributes = std::move(attributes);
    }

    const Reader& r_;
    CertificateProfileConfig& profile_;
};

std::string variable_prefix(const std::string& id) {
    return std::string(kVariablePrefix) + env::env_id(id) + "_";
}

Reader profile_reader(const Reader& reader, const std::string& id) {
    return reader.with_context("certificate profile " + detail::quoted(id) + ": ");
}

// True when any CERTCTL_CERT_PROFILE_<ID>_* setting is set.
bool has_variables(const Reader& reader, const std::string& id) {
    const auto prefix = variable_prefix(id);
    return std::any_of(kSettings.begin(), kSettings.end(), [&](const NamedSetting& entry) {
        return reader.has(prefix + std::string(entry.suffix));
    });
}

CertificateProfileConfig load_from_environment(const Reader& reader, const std::string& id) {
    CertificateProfileConfig profile;
    profile.id = id;
    profile.defined_in = "environment";
    const Reader r = profile_reader(reader, id);
    const auto prefix = variable_prefix(id);
    ProfileParser parser(r, profile);
    for (const auto& [setting, suffix] : kSettings) {
        const auto name = prefix + std::string(suffix);
        if (!r.has(name)) {
            continue;
        }
        if (setting == Setting::max_ttl) {
            profile.max_ttl = std::chrono::seconds(r.whole_number(name, 0, 1, kMaxTtlSeconds));
        } else if (is_flag(setting)) {
            flag(profile, setting) = r.boolean(name, false);
        } else {
            parser.parse_list(setting, name, env::split_list(r.text(name)));
        }
    }
    parser.check_consistency(prefix + "SAN_DNS_SUFFIXES", prefix + "SAN_EMAIL_DOMAINS");
    return profile;
}

std::optional<std::vector<std::string>> json_strings(const Reader& r, const std::string& where,
                                                     const Json& value) {
    if (!value.is_array()) {
        r.problem(where + " must be an array of strings");
        return std::nullopt;
    }
    std::vector<std::string> items;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string()) {
            r.problem(where + "[" + std::to_string(i) + "] must be a string");
            return std::nullopt;
        }
        auto item = env::trim(value[i].get<std::string>());
        if (!item.empty()) {
            items.push_back(std::move(item));
        }
    }
    return items;
}

std::string known_json_keys() {
    std::string keys;
    for (const auto& entry : kSettings) {
        keys += (keys.empty() ? "" : ", ") + json_key(entry.suffix);
    }
    return keys;
}

void read_json_setting(const Reader& r, ProfileParser& parser, CertificateProfileConfig& profile,
                       Setting setting, const std::string& where, const Json& value) {
    if (setting == Setting::max_ttl) {
        if (!value.is_number_unsigned() || value.get<std::uint64_t>() < 1 ||
            value.get<std::uint64_t>() > kMaxTtlSeconds) {
            r.problem(where + " must be a whole number of seconds from 1 to " +
                      std::to_string(kMaxTtlSeconds));
            return;
        }
        profile.max_ttl = std::chrono::seconds(value.get<std::int64_t>());
    } else if (is_flag(setting)) {
        if (!value.is_boolean()) {
            r.problem(where + " must be true or false");
            return;
        }
        flag(profile, setting) = value.get<bool>();
    } else if (auto items = json_strings(r, where, value)) {
        parser.parse_list(setting, where, *items);
    }
}

CertificateProfileConfig load_from_json(const Reader& reader, const std::string& file,
                                        const std::string& id, const Json& object) {
    CertificateProfileConfig profile;
    profile.id = id;
    profile.defined_in = file;
    const Reader r = profile_reader(reader, id);
    const std::string base = std::string(kProfilesFile) + " (" + file + "): profiles." + id;
    if (!object.is_object()) {
        r.problem(base + " must be an object");
        return profile;
    }
    ProfileParser parser(r, profile);
    for (const auto& [key, value] : object.items()) {
        if (key.starts_with("_")) {
            continue;  // "_comment" and friends: JSON has no comments
        }
        const auto found = std::find_if(
            kSettings.begin(), kSettings.end(),
            [&member = key](const NamedSetting& s) { return json_key(s.suffix) == member; });
        if (found == kSettings.end()) {
            r.problem(base + " has an unknown member " + detail::quoted(key) +
                      " (known: " + known_json_keys() + "; members starting with _ are ignored)");
            continue;
        }
        read_json_setting(r, parser, profile, found->setting, base + "." + key, value);
    }
    parser.check_consistency(base + ".san_dns_suffixes", base + ".san_email_domains");
    return profile;
}

std::optional<Json> read_json_file(const Reader& reader, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    Json document = Json::parse(text.str(), nullptr, false);
    if (document.is_discarded()) {
        reader.problem(std::string(kProfilesFile) + ": " + path +
                       " is not valid JSON (comments are not allowed: use \"_comment\" members)");
        return std::nullopt;
    }
    return document;
}

// The profiles of the file, in file order; their ids are added to `ids`.
std::vector<CertificateProfileConfig> load_file(const Reader& reader, std::vector<std::string>& ids,
                                                const std::vector<std::string>& listed) {
    std::vector<CertificateProfileConfig> profiles;
    const auto path = reader.text(kProfilesFile);
    if (path.empty()) {
        return profiles;
    }
    if (const auto reason = files::unreadable_reason(path)) {
        reader.problem(std::string(kProfilesFile) + ": cannot read " + path + ": " + *reason);
        return profiles;
    }
    const auto document = read_json_file(reader, path);
    if (!document) {
        return profiles;
    }
    const std::string where = std::string(kProfilesFile) + " (" + path + ")";
    if (!document->is_object() || !document->contains("profiles") ||
        !(*document)["profiles"].is_object()) {
        reader.problem(where + " must be an object with a \"profiles\" object keyed by profile id");
        return profiles;
    }
    for (const auto& [key, value] : document->items()) {
        if (key != "profiles" && !key.starts_with("_")) {
            reader.problem(where + " has an unknown top-level member " + detail::quoted(key) +
                           " (expected \"profiles\")");
        }
    }
    for (const auto& [id, object] : (*document)["profiles"].items()) {
        if (!env::valid_path_id(id)) {
            reader.problem(where + ": " + detail::quoted(id) +
                           " is not a valid certificate profile id (lower-case letters, digits "
                           "and '-')");
            continue;
        }
        if (std::find(listed.begin(), listed.end(), id) != listed.end() &&
            has_variables(reader, id)) {
            profile_reader(reader, id)
                .problem("defined twice: in " + where + " and by " + variable_prefix(id) +
                         "* variables; keep one");
        }
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
            ids.push_back(id);
        }
        profiles.push_back(load_from_json(reader, path, id, object));
    }
    return profiles;
}

// The <ID> segment of CERTCTL_CERT_PROFILE_<ID>_<SETTING>, when it has that shape.
std::optional<std::string> variable_id_segment(std::string_view variable) {
    const std::string_view prefix(kVariablePrefix);
    if (!variable.starts_with(prefix)) {
        return std::nullopt;
    }
    const auto rest = variable.substr(prefix.size());
    for (const auto& entry : kSettings) {
        if (rest.size() > entry.suffix.size() + 1 && rest.ends_with(entry.suffix) &&
            rest[rest.size() - entry.suffix.size() - 1] == '_') {
            return std::string(rest.substr(0, rest.size() - entry.suffix.size() - 1));
        }
    }
    return std::string();
}

void warn_unknown_variables(const Reader& reader, const std::vector<std::string>& listed,
                            const std::vector<std::string>& from_file) {
    for (const auto& [name, value] : reader.environment()) {
        const auto segment = variable_id_segment(name);
        if (!segment) {
            continue;
        }
        const auto names_listed = [&](const std::vector<std::string>& ids) {
            return std::any_of(ids.begin(), ids.end(),
                               [&](const std::string& id) { return env::env_id(id) == *segment; });
        };
        if (segment->empty()) {
            reader.warning("unknown variable " + name +
                           " \u2014 typo? (a certificate profile "
                           "setting is one of " +
                           known_json_keys() + ", upper-cased)");
        } else if (!names_listed(listed) && !names_listed(from_file)) {
            reader.warning("unknown variable " + name + ": no certificate profile " +
                           env::to_lower(*segment) + " is listed in CERTCTL_CERT_PROFILES");
        } else if (!names_listed(listed)) {
            reader.warning(name + " is ignored: that profile is defined in " + kProfilesFile);
        }
    }
}

}  // namespace

CertificateProfiles load_certificate_profiles(const Reader& reader) {
    CertificateProfiles out;
    const auto listed = load_certificate_profile_ids(reader);
    out.ids = listed;
    std::vector<std::string> from_file_ids;
    auto from_file = load_file(reader, from_file_ids, listed);
    for (const auto& id : from_file_ids) {
        if (std::find(out.ids.begin(), out.ids.end(), id) == out.ids.end()) {
            out.ids.push_back(id);
        }
    }
    for (const auto& id : out.ids) {
        const auto in_file =
            std::find_if(from_file.begin(), from_file.end(),
                         [&](const CertificateProfileConfig& p) { return p.id == id; });
        if (in_file != from_file.end()) {
            out.profiles.push_back(std::move(*in_file));
        } else {
            out.profiles.push_back(load_from_environment(reader, id));
        }
    }
    warn_unknown_variables(reader, listed, from_file_ids);
    return out;
}

}  // namespace detail
}  // namespace estd::config
