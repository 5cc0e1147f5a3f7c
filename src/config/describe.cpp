// `estd check-config` output: the resolved configuration, secrets masked.

#include <sstream>

#include "estd/config/config.hpp"
#include "estd/config/env_parsing.hpp"

namespace estd::config {
namespace {

const char* set_or_not(const std::string& secret) {
    return secret.empty() ? "not set" : "set";
}

std::string list_or(const std::vector<std::string>& items, const char* none) {
    std::string out;
    for (const auto& item : items) {
        out += out.empty() ? "" : ", ";
        out += item;
    }
    return out.empty() ? none : out;
}

std::string auth_modes(const EstProfileConfig& profile) {
    if (profile.anonymous()) {
        return "anonymous (no authentication)";
    }
    std::vector<std::string> modes;
    if (profile.auth_mtls) {
        modes.emplace_back("mtls");
    }
    if (profile.auth_basic) {
        modes.emplace_back("basic");
    }
    return list_or(modes, "");
}

void describe_listener(std::ostream& out, const ListenerConfig& listener) {
    out << "listener: https://" << listener.host << ":" << listener.port << " (TLS "
        << (listener.tls_min_version == TlsMinVersion::tls1_2 ? "1.2" : "1.3") << " minimum)\n"
        << "  certificate: " << listener.tls_cert_path << "\n"
        << "  key: " << listener.tls_key_path << "\n"
        << "  threads: "
        << (listener.threads == 0 ? std::string("one per core") : std::to_string(listener.threads))
        << " for I/O, "
        << (listener.worker_threads == 0 ? std::string("16 per I/O thread")
                                         : std::to_string(listener.worker_threads))
        << " for requests that may wait\n"
        << "  max connections: " << listener.max_connections << "\n"
        << "  max header bytes: " << listener.max_header_bytes
        << ", max body bytes: " << listener.max_body_bytes << "\n"
        << "  read timeout: " << env::format_duration(listener.read_timeout)
        << ", idle timeout: " << env::format_duration(listener.idle_timeout) << "\n";
}

// Key names and counts only: the keys and the webhook secret are secrets.
void describe_operator_settings(std::ostream& out, const Config& config) {
    std::vector<std::string> keys;
    for (const auto& key : config.api_keys) {
        keys.push_back(key.name + (key.admin ? " (admin)" : ""));
    }
    out << "store: " << describe_store(config) << " (audit rows "
        << describe_audit_retention(config) << ")\n"
        << "operator API keys: " << list_or(keys, "none (the operator API answers 401)") << "\n"
        << "expiry webhook: "
        << (config.webhook.url.empty()
                ? std::string("off")
                // No query string: receivers often carry a token there.
                : config.webhook.url.substr(0, config.webhook.url.find('?')) + " (secret " +
                      set_or_not(config.webhook.secret) + ", scan every " +
                      env::format_duration(config.webhook.scan_interval) + ")")
        << "\n";
}

void describe_process(std::ostream& out, const Config& config) {
    out << "data dir: " << config.data_dir << " (/readyz wants "
        << (config.data_dir_min_free_mib == 0
                ? std::string("no free space reserve")
                : std::to_string(config.data_dir_min_free_mib) + " MiB available")
        << ")\n"
        << "log: " << config.log_level << " ("
        << (config.log_format == LogFormat::json ? "json" : "text") << ")\n"
        << "public base URL: "
        << (config.public_base_url.empty() ? "not set" : config.public_base_url) << "\n"
        << "trusted proxies: " << list_or(config.trusted_proxies, "none") << "\n"
        << "CRL generation interval: " << env::format_duration(config.crl_generation_interval)
        << "\n"
        << "default certificate TTL: " << env::format_duration(config.default_certificate_ttl)
        << "\n";
    describe_operator_settings(out, config);
}

void describe_issuer(std::ostream& out, const IssuerConfig& issuer) {
    out << "  " << issuer.id << "\n"
        << "    type: " << issuer.type << "\n"
        << "    CA certificate: " << issuer.ca_cert_path << "\n";
    if (!issuer.ca_rollover_certs_path.empty()) {
        out << "    rollover certificates: " << issuer.ca_rollover_certs_path << "\n";
    }
    if (issuer.type == "local") {
        out << "    CA key: " << issuer.ca_key_path << "\n";
    } else if (issuer.type == "pkcs11") {
        out << "    PKCS#11 URI: " << issuer.pkcs11_uri << "\n"
            << "    PIN: "
            << (issuer.pkcs11_pin_file.empty() ? "from variable " + issuer.pkcs11_pin_env
                                               : "from file " + issuer.pkcs11_pin_file)
            << "\n"
            << "    session pool: " << issuer.pkcs11_pool_size << "\n";
    }
}

void describe_profile(std::ostream& out, const EstProfileConfig& profile) {
    const std::string segment = profile.legacy_root() ? "" : profile.path_id + "/";
    out << "  " << profile.display_name() << "\n"
        << "    path: /.well-known/est/" << segment
        << (profile.legacy_root() ? " (legacy root)" : "") << "\n";
    if (profile.auth_mtls) {
        out << "    mTLS path: /.well-known/est-mtls/" << segment << "\n";
    }
    if (profile.label_less_default) {
        out << "    default profile (CERTCTL_EST_DEFAULT_PROFILE): also at /.well-known/est/"
            << (profile.auth_mtls ? " and /.well-known/est-mtls/" : "") << "\n";
    }
    out << "    auth: " << auth_modes(profile) << "\n"
        << "    issuer: " << profile.issuer_id << "\n"
        << "    certificate profile: " << (profile.profile_id.empty() ? "none" : profile.profile_id)
        << "\n"
        << "    enrollment password: " << set_or_not(profile.enrollment_password) << "\n";
    if (profile.auth_mtls) {
        out << "    mTLS trust bundle: " << profile.mtls_trust_bundle_path << "\n";
    }
    out << "    channel binding: "
        << (profile.channel_binding_required ? "required" : "not required") << "\n"
        << "    rate limit per principal (24h): "
        << (profile.rate_limit_per_principal_24h == 0
                ? std::string("off")
                : std::to_string(profile.rate_limit_per_principal_24h))
        << "\n"
        << "    serverkeygen: "
        << (!profile.serverkeygen_enabled ? "disabled"
            : profile.serverkeygen_key_encryption == ServerKeygenEncryption::cms
                ? "enabled (key encrypted with CMS)"
                : "enabled (plain PKCS#8 over TLS)")
        << "\n"
        << "    base64 answers: "
        << (profile.base64_layout == Base64LayoutSetting::single_line ? "single-line"
            : profile.base64_layout == Base64LayoutSetting::wrapped
                ? "wrapped"
                : "auto (one line without a User-Agent or to strongSwan, else 76-column lines)")
        << "\n";
}

template <class T, class Name>
std::string names_or(const std::optional<std::vector<T>>& items, Name name, const char* unset) {
    if (!items) {
        return unset;
    }
    std::vector<std::string> names;
    for (const auto& item : *items) {
        names.emplace_back(name(item));
    }
    return list_or(names, "none");
}

void describe_certificate_profile(std::ostream& out, const CertificateProfileConfig& profile) {
    std::vector<std::string> required;
    for (const auto attribute : profile.required_csr_attributes) {
        required.emplace_back(required_attribute_name(attribute));
    }
    out << "  " << profile.id << " (" << profile.defined_in << ")\n"
        << "    key algorithms: "
        << names_or(
               profile.allowed_key_algorithms, [](const KeyAlgorithm& a) { return a.name(); },
               "any (RSA-2048, EC-P256, EC-P384, ED25519)")
        << "\n"
        << "    extended key usages: "
        << names_or(
               profile.allowed_ekus, [](const ExtendedKeyUsage& u) { return u.name; },
               "clientAuth, serverAuth")
        << "\n"
        << "    SAN types: "
        << names_or(
               profile.allowed_san_types, [](SanType t) { return san_type_name(t); }, "any")
        << "\n"
        << "    DNS suffixes: " << list_or(profile.san_dns_suffixes, "any") << "\n"
        << "    email domains: " << list_or(profile.san_email_domains, "any") << "\n"
        << "    required CSR attributes: " << list_or(required, "none") << "\n"
        << "    max TTL: "
        << (profile.max_ttl ? env::format_duration(*profile.max_ttl) : std::string("none")) << "\n"
        << "    must-staple: " << (profile.must_staple ? "yes" : "no") << "\n"
        << "    wildcard DNS names: " << (profile.allow_wildcard_dns ? "allowed" : "no") << "\n"
        << "    RSA exponents below 65537: "
        << (profile.allow_small_rsa_exponent ? "allowed (odd, from 3)" : "no") << "\n";
}

}  // namespace

std::string describe_audit_retention(const Config& config) {
    return config.audit_retention ? "deleted after " + env::format_duration(*config.audit_retention)
                                  : std::string("kept");
}

std::string describe_store(const Config& config) {
    if (config.database_url.empty()) {
        return config.data_dir + "/estd.db (embedded SQLite)";
    }
    return "PostgreSQL " + (config.database_described.empty() ? "?" : config.database_described) +
           " (at most " + std::to_string(config.database_max_connections) +
           " connections, and 1 for audit rows)";
}

std::string describe(const Config& config) {
    std::ostringstream out;
    describe_listener(out, config.listener);
    describe_process(out, config);
    out << "issuers:\n";
    for (const auto& issuer : config.issuers) {
        describe_issuer(out, issuer);
    }
    out << "certificate profiles:" << (config.certificate_profiles.empty() ? " none" : "") << "\n";
    for (const auto& profile : config.certificate_profiles) {
        describe_certificate_profile(out, profile);
    }
    out << "EST profiles:\n";
    for (const auto& profile : config.est_profiles) {
        describe_profile(out, profile);
    }
    return out.str();
}

}  // namespace estd::config
