#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace estd::config {

// Process environment as a plain map, so parsing is a pure function.
using Environment = std::map<std::string, std::string>;
Environment environment_from_process();

enum class TlsMinVersion { tls1_2, tls1_3 };
enum class LogFormat { text, json };
enum class ServerKeygenEncryption { cms, none };

struct ListenerConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8443;
    std::string tls_cert_path;
    std::string tls_key_path;
    TlsMinVersion tls_min_version = TlsMinVersion::tls1_3;
    unsigned threads = 0;  // 0 = number of cores
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 256 * 1024;
    std::chrono::seconds read_timeout{30};
    std::chrono::seconds idle_timeout{60};
    std::size_t max_connections = 20000;
};

struct IssuerConfig {
    std::string id;    // e.g. iss-local
    std::string type;  // local | pkcs11
    std::string ca_cert_path;
    std::string ca_key_path;      // local
    std::string pkcs11_uri;       // pkcs11
    std::string pkcs11_pin_file;  // pkcs11
    std::string pkcs11_pin_env;   // pkcs11: the name of the variable holding the PIN
};

struct EstProfileConfig {
    std::string name;        // as listed in CERTCTL_EST_PROFILES
    std::string path_id;     // lower-cased name; empty for the legacy root profile
    std::string env_prefix;  // CERTCTL_EST_PROFILE_<NAME>_ (or CERTCTL_EST_ for legacy)
    std::string issuer_id = "iss-local";
    std::string profile_id;           // certificate profile id, may be empty
    std::string enrollment_password;  // secret: never log
    bool mtls_enabled = false;
    std::string mtls_trust_bundle_path;
    bool auth_basic = false;
    bool auth_mtls = false;
    bool channel_binding_required = false;
    std::int64_t rate_limit_per_principal_24h = 0;
    bool serverkeygen_enabled = false;
    ServerKeygenEncryption serverkeygen_key_encryption = ServerKeygenEncryption::cms;

    bool legacy_root() const { return path_id.empty(); }
    bool anonymous() const { return !auth_basic && !auth_mtls; }
    std::string display_name() const {
        return legacy_root() ? std::string("(legacy root)") : path_id;
    }
};

struct Config {
    bool est_enabled = false;
    std::string data_dir = "./data";
    std::string log_level = "info";
    LogFormat log_format = LogFormat::text;
    ListenerConfig listener;
    std::vector<IssuerConfig> issuers;
    std::vector<EstProfileConfig> est_profiles;
    std::vector<std::string> trusted_proxies;  // CIDRs
    std::string public_base_url;
    std::chrono::seconds crl_generation_interval{3600};
    std::chrono::seconds default_certificate_ttl{365 * 24 * 3600};
    // Certificate profile ids from CERTCTL_CERT_PROFILES; a PROFILE_ID must be
    // one of them.
    std::vector<std::string> certificate_profile_ids;

    const IssuerConfig* find_issuer(const std::string& id) const;
};

struct LoadResult {
    std::optional<Config> config;       // set only when problems is empty
    std::vector<std::string> problems;  // every reason the boot is refused
    std::vector<std::string> warnings;  // e.g. unknown CERTCTL_EST_* names, anonymous profiles
};

// Parses and validates the environment: every problem is reported, not only
// the first. Files named by the configuration are opened and parsed here so a
// bad path refuses the boot.
LoadResult load(const Environment& env);

// The resolved configuration as `estd check-config` prints it: listener, data
// directory, issuers, EST profiles. Secrets are reported as "set"/"not set".
std::string describe(const Config& config);

}  // namespace estd::config
