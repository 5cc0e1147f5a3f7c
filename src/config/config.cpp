#include "estd/config/config.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>
#include <unistd.h>

#include "estd/config/env_parsing.hpp"
#include "loader.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace estd::config {
namespace detail {
namespace {

constexpr const char* kEnabled = "CERTCTL_EST_ENABLED";

bool load_enabled(const Reader& reader) {
    const bool enabled = reader.boolean(kEnabled, false);  // reports a malformed value
    const bool malformed = reader.has(kEnabled) && !env::parse_bool(reader.text(kEnabled));
    if (!enabled && !malformed) {
        reader.problem(std::string("EST is not enabled: set ") + kEnabled + "=true");
    }
    return enabled;
}

TlsMinVersion load_tls_min_version(const Reader& reader) {
    return reader.one_of("CERTCTL_SERVER_TLS_MIN_VERSION", "1.3", {"1.3", "1.2"}) == "1.2"
               ? TlsMinVersion::tls1_2
               : TlsMinVersion::tls1_3;
}

ListenerConfig load_listener(const Reader& reader) {
    constexpr std::uint64_t kMaxThreads = 1024;
    ListenerConfig listener;
    listener.host = reader.text("CERTCTL_SERVER_HOST", listener.host);
    listener.port = static_cast<std::uint16_t>(
        reader.whole_number("CERTCTL_SERVER_PORT", listener.port, 0, 65535));
    listener.tls_cert_path = reader.required_file(
        "CERTCTL_SERVER_TLS_CERT_PATH", "the listener's certificate chain, PEM, leaf first");
    listener.tls_key_path =
        reader.required_file("CERTCTL_SERVER_TLS_KEY_PATH", "the listener's private key, PEM");
    listener.tls_min_version = load_tls_min_version(reader);
    listener.threads =
        static_cast<unsigned>(reader.whole_number("CERTCTL_SERVER_THREADS", 0, 0, kMaxThreads));
    listener.worker_threads = static_cast<unsigned>(
        reader.whole_number("CERTCTL_SERVER_WORKER_THREADS", 0, 0, kMaxThreads));
    listener.max_header_bytes = reader.whole_number(
        "CERTCTL_SERVER_MAX_HEADER_BYTES", listener.max_header_bytes, 1, std::uint64_t{1} << 24);
    listener.max_body_bytes = reader.whole_number(
        "CERTCTL_SERVER_MAX_BODY_BYTES", listener.max_body_bytes, 1, std::uint64_t{1} << 30);
    listener.read_timeout = reader.duration("CERTCTL_SERVER_READ_TIMEOUT", listener.read_timeout);
    listener.idle_timeout = reader.duration("CERTCTL_SERVER_IDLE_TIMEOUT", listener.idle_timeout);
    listener.max_connections = reader.whole_number("CERTCTL_SERVER_MAX_CONNECTIONS",
                                                   listener.max_connections, 1, 10'000'000);
    return listener;
}

std::vector<std::string> load_trusted_proxies(const Reader& reader) {
    constexpr const char* kName = "CERTCTL_TRUSTED_PROXIES";
    std::vector<std::string> proxies;
    for (const auto& entry : env::split_list(reader.text(kName))) {
        if (auto cidr = env::normalize_cidr(entry)) {
            proxies.push_back(std::move(*cidr));
        } else {
            reader.problem(std::string(kName) + " lists " + detail::quoted(entry) +
                           ", which is not an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8)");
        }
    }
    return proxies;
}

std::string load_public_base_url(const Reader& reader) {
    constexpr const char* kName = "CERTCTL_PUBLIC_BASE_URL";
    constexpr std::string_view kScheme = "https://";
    auto url = reader.text(kName);
    if (url.empty()) {
        return url;
    }
    if (url.rfind(kScheme, 0) != 0 || url.size() == kScheme.size()) {
        reader.problem(std::string(kName) + "=" + detail::quoted(url) +
                       " must be an https:// URL (e.g. https://pki.example.com)");
        return {};
    }
    while (url.size() > kScheme.size() + 1 && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

void load_process_settings(const Reader& reader, Config& config) {
    constexpr std::uint64_t kMaxDataDirMinFreeMib = std::uint64_t{1} << 30;  // 1 PiB
    config.data_dir = reader.text("CERTCTL_DATA_DIR", config.data_dir);
    config.data_dir_min_free_mib = reader.whole_number(
        "CERTCTL_DATA_DIR_MIN_FREE_MIB", config.data_dir_min_free_mib, 0, kMaxDataDirMinFreeMib);
    config.log_level = reader.one_of("CERTCTL_LOG_LEVEL", config.log_level,
                                     {"trace", "debug", "info", "warn", "error"});
    config.log_format = reader.one_of("CERTCTL_LOG_FORMAT", "text", {"text", "json"}) == "json"
                            ? LogFormat::json
                            : LogFormat::text;
    config.crl_generation_interval =
        reader.duration("CERTCTL_CRL_GENERATION_INTERVAL", config.crl_generation_interval);
    config.trusted_proxies = load_trusted_proxies(reader);
    config.public_base_url = load_public_base_url(reader);
    config.default_certificate_ttl =
        reader.duration("CERTCTL_EST_DEFAULT_TTL", config.default_certificate_ttl);
}

// Every CERTCTL_* name this configuration reads or could read: what the
// loaders looked up, every setting of the listed EST profiles and issuers
// (some are read only for one issuer type), and estctl's key variable.
std::set<std::string> known_variables(const Diagnostics& diagnostics,
                                      const std::set<std::string>& est_variables,
                                      const std::vector<std::string>& issuer_ids) {
    constexpr std::array<std::string_view, 7> kIssuerSettings = {
        "TYPE",           "CA_CERT_PATH",    "CA_KEY_PATH", "PKCS11_URI", "PKCS11_PIN_FILE",
        "PKCS11_PIN_ENV", "PKCS11_POOL_SIZE"};
    std::set<std::string> known = diagnostics.consulted;
    known.insert(est_variables.begin(), est_variables.end());
    for (const auto& id : issuer_ids) {
        for (const auto setting : kIssuerSettings) {
            known.insert("CERTCTL_ISSUER_" + env::env_id(id) + "_" + std::string(setting));
        }
    }
    known.insert("CERTCTL_API_KEY");  // estctl's Bearer key, often in the same environment
    return known;
}

// A profile that requires channel binding cannot be served through a
// TLS-terminating proxy: the proxy's connection is not the client's. Such
// requests are refused (400); the boot says so once, before a client does.
void warn_about_proxied_channel_binding(const Reader& reader, const Config& config) {
    if (config.trusted_proxies.empty()) {
        return;
    }
    for (const auto& profile : config.est_profiles) {
        if (profile.channel_binding_required) {
            reader.warning(profile.env_prefix +
                           "CHANNEL_BINDING_REQUIRED=true and CERTCTL_TRUSTED_PROXIES is set: "
                           "requests that come through a TLS-terminating proxy cannot carry "
                           "channel binding, and enrollments on this profile through one are "
                           "refused (400); its clients must connect to estd directly (or "
                           "through a TLS passthrough)");
        }
    }
}

}  // namespace

std::vector<std::string> load_certificate_profile_ids(const Reader& reader) {
    constexpr const char* kName = "CERTCTL_CERT_PROFILES";
    std::vector<std::string> ids;
    for (const auto& id : env::split_list(reader.text(kName))) {
        if (!env::valid_path_id(id)) {
            reader.problem(std::string(kName) + " lists " + detail::quoted(id) +
                           ", which is not a valid certificate profile id (lower-case letters, "
                           "digits and '-')");
        } else if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
            reader.problem(std::string(kName) + " lists " + detail::quoted(id) + " twice");
        } else {
            ids.push_back(id);
        }
    }
    return ids;
}

}  // namespace detail

Environment environment_from_process() {
    Environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals == std::string_view::npos || equals == 0) {
            continue;
        }
        env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    return env;
}

LoadResult load(const Environment& env, const DatabaseUrlReader& read_database_url) {
    detail::Diagnostics diagnostics;
    const detail::Reader reader(env, diagnostics);

    Config config;
    config.est_enabled = detail::load_enabled(reader);
    config.listener = detail::load_listener(reader);
    detail::load_process_settings(reader, config);
    detail::load_operator_settings(reader, read_database_url, config);
    auto issuers = detail::load_issuers(reader);
    config.issuers = std::move(issuers.issuers);
    auto certificate_profiles = detail::load_certificate_profiles(reader);
    config.certificate_profile_ids = std::move(certificate_profiles.ids);
    config.certificate_profiles = std::move(certificate_profiles.profiles);
    auto profiles =
        detail::load_est_profiles(reader, issuers.declared_ids, config.certificate_profile_ids);
    config.est_profiles = std::move(profiles.profiles);
    detail::warn_about_proxied_channel_binding(reader, config);
    detail::warn_unknown_est_variables(reader, profiles.known_variables);
    detail::warn_unknown_variables(
        reader,
        detail::known_variables(diagnostics, profiles.known_variables, issuers.declared_ids));

    LoadResult result;
    result.problems = std::move(diagnostics.problems);
    result.warnings = std::move(diagnostics.warnings);
    if (result.problems.empty()) {
        result.config = std::move(config);
    }
    return result;
}

const IssuerConfig* Config::find_issuer(const std::string& id) const {
    const auto found = std::find_if(issuers.begin(), issuers.end(),
                                    [&id](const IssuerConfig& issuer) { return issuer.id == id; });
    return found == issuers.end() ? nullptr : &*found;
}

}  // namespace estd::config
