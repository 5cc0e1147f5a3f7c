#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estd::config {

// Process environment as a plain map, so parsing is a pure function.
using Environment = std::map<std::string, std::string>;
Environment environment_from_process();

enum class TlsMinVersion { tls1_2, tls1_3 };
enum class LogFormat { text, json };
enum class ServerKeygenEncryption { cms, none };
// BASE64_LAYOUT of an EST profile: how base64 answers are laid out. automatic
// picks per client (docs/protocol.md, "Base64 line layout").
enum class Base64LayoutSetting { automatic, single_line, wrapped };

struct ListenerConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8443;
    std::string tls_cert_path;
    std::string tls_key_path;
    TlsMinVersion tls_min_version = TlsMinVersion::tls1_3;
    unsigned threads = 0;         // I/O threads; 0 = number of cores
    unsigned worker_threads = 0;  // threads for requests that may wait; 0 = 16 per I/O thread
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
    // Root key update: OldWithNew/NewWithOld (and the other root), published
    // by cacerts; empty when none (CERTCTL_CA_ROLLOVER_CERTS_PATH, ...).
    std::string ca_rollover_certs_path;
    std::string ca_key_path;        // local
    std::string pkcs11_uri;         // pkcs11
    std::string pkcs11_pin_file;    // pkcs11
    std::string pkcs11_pin_env;     // pkcs11: the name of the variable holding the PIN
    unsigned pkcs11_pool_size = 4;  // pkcs11: token sessions signing in parallel
};

// One entry of a certificate profile's ALLOWED_KEY_ALGORITHMS: EC-P256,
// EC-P384, RSA-<n> (RSA of at least n bits) or ED25519.
struct KeyAlgorithm {
    enum class Type { ec_p256, ec_p384, rsa, ed25519 };
    Type type = Type::rsa;
    unsigned rsa_min_bits = 0;  // rsa only

    std::string name() const;  // as written in the configuration: "EC-P256", "RSA-2048"
    bool operator==(const KeyAlgorithm&) const = default;
};

// An extended key usage as configured: a known name (clientAuth) or a dotted
// OID; `oid` is always the dotted form.
struct ExtendedKeyUsage {
    std::string name;
    std::string oid;
    bool operator==(const ExtendedKeyUsage&) const = default;
};

enum class SanType { dns, ip, email, uri };
std::string_view san_type_name(SanType type);  // dns, ip, email, uri

// What a CSR must carry. deviceSerialNumber: the subject's serialNumber
// (2.5.4.5) or a serialNumber CSR attribute; the others: the subject entry.
enum class RequiredAttribute {
    device_serial_number,
    common_name,
    organization,
    organizational_unit,
    country,
};
std::string_view required_attribute_name(RequiredAttribute attribute);  // deviceSerialNumber, ...

// A certificate profile (CERTCTL_CERT_PROFILE_<ID>_* or an entry of
// CERTCTL_CERT_PROFILES_FILE), validated. nullopt lists were not configured:
// the policy applies its documented default.
struct CertificateProfileConfig {
    std::string id;          // e.g. cp-wifi-eap-tls
    std::string defined_in;  // "environment" or the JSON file's path
    std::optional<std::vector<KeyAlgorithm>> allowed_key_algorithms;
    std::optional<std::vector<ExtendedKeyUsage>> allowed_ekus;
    std::optional<std::vector<SanType>> allowed_san_types;  // empty: no SAN allowed
    std::vector<std::string> san_dns_suffixes;              // lower-case, no leading dot
    std::vector<std::string> san_email_domains;             // lower-case, no '@'
    std::vector<RequiredAttribute> required_csr_attributes;
    std::optional<std::chrono::seconds> max_ttl;
    bool must_staple = false;
    // Widen the baseline (docs/security.md): "*.<domain>" DNS names, and RSA
    // public exponents from 3 (odd) below 65537.
    bool allow_wildcard_dns = false;
    bool allow_small_rsa_exponent = false;
};

// A Bearer key of the operator API (CERTCTL_API_KEYS_NAMED=name:key[:admin]).
struct ApiKey {
    std::string name;  // recorded as the actor of what the key does
    std::string key;   // secret: never log
    bool admin = false;
};

// Expiry notifications (cert.expiring_soon) POSTed to `url`, signed with
// HMAC-SHA256 keyed by `secret`. An empty url turns them off.
struct WebhookConfig {
    std::string url;
    std::string secret;  // secret: never log
    std::chrono::seconds scan_interval{3600};
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
    Base64LayoutSetting base64_layout = Base64LayoutSetting::automatic;
    // CERTCTL_EST_DEFAULT_PROFILE names it: also served, with its own
    // authentication, at /.well-known/est/<op> and /.well-known/est-mtls/<op>.
    bool label_less_default = false;

    bool legacy_root() const { return path_id.empty(); }
    // Served at /.well-known/est/<op>: the legacy root or the default profile.
    bool label_less() const { return legacy_root() || label_less_default; }
    bool anonymous() const { return !auth_basic && !auth_mtls; }
    std::string display_name() const {
        return legacy_root() ? std::string("(legacy root)") : path_id;
    }
};

struct Config {
    bool est_enabled = false;
    std::string data_dir = "./data";
    // /readyz answers 503 when the data directory's filesystem has less
    // available (0: not checked).
    std::uint64_t data_dir_min_free_mib = 64;
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
    // Their definitions, one per id, in the same order.
    std::vector<CertificateProfileConfig> certificate_profiles;

    std::vector<ApiKey> api_keys;
    WebhookConfig webhook;
    // A PostgreSQL URL or connection string (a secret: it may carry the
    // password); empty keeps the embedded store in data_dir.
    std::string database_url;
    // database_url as the DatabaseUrlReader read it ("user@host:port/db"),
    // for logs: never the password.
    std::string database_described;
    // Connections to it for certificates, revocations and reads (one more
    // writes audit rows).
    std::size_t database_max_connections = 8;
    // The store deletes audit rows older than this; unset keeps them.
    std::optional<std::chrono::seconds> audit_retention;

    const IssuerConfig* find_issuer(const std::string& id) const;
    const CertificateProfileConfig* find_certificate_profile(const std::string& id) const;
};

struct LoadResult {
    std::optional<Config> config;       // set only when problems is empty
    std::vector<std::string> problems;  // every reason the boot is refused
    std::vector<std::string> warnings;  // e.g. unknown CERTCTL_EST_* names, anonymous profiles
};

// How the store that opens a database URL reads it: "user@host:port/db"
// without the password, or nullopt when it is no URL or connection string.
// The wiring hands in store::describe_postgres_url, so a bad URL is refused
// with every other problem while config depends on no store.
using DatabaseUrlReader = std::function<std::optional<std::string>(const std::string& url)>;

// Parses and validates the environment: every problem is reported, not only
// the first. Files named by the configuration are opened and parsed here so a
// bad path refuses the boot. Without `read_database_url`, a database URL is
// taken as it is.
LoadResult load(const Environment& env, const DatabaseUrlReader& read_database_url = {});

// The resolved configuration as `estd check-config` prints it: listener, data
// directory, issuers, EST profiles. Secrets are reported as "set"/"not set".
std::string describe(const Config& config);
// What becomes of the store's audit rows: "kept" or "deleted after 400d".
std::string describe_audit_retention(const Config& config);
// Where the inventory lives: the embedded file, or the server database
// without its password.
std::string describe_store(const Config& config);

}  // namespace estd::config
