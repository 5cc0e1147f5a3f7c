// The operator surface: API keys, the expiry webhook, the store location.

#include <algorithm>
#include <set>

#include "estd/config/api_keys.hpp"
#include "estd/config/env_parsing.hpp"
#include "loader.hpp"

namespace estd::config {
namespace {

constexpr std::size_t kMinKeyLength = 16;
constexpr std::string_view kAdminSuffix = ":admin";

bool valid_key_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

bool has_blank(std::string_view key) {
    return std::any_of(key.begin(), key.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

}  // namespace

ApiKeysParse parse_api_keys(std::string_view text) {
    constexpr const char* kName = "CERTCTL_API_KEYS_NAMED";
    ApiKeysParse out;
    std::set<std::string> keys_seen;
    std::size_t position = 0;
    for (const auto& entry : env::split_list(text)) {
        ++position;
        const std::string where = std::string(kName) + " entry " + std::to_string(position);
        const auto colon = entry.find(':');
        if (colon == std::string::npos) {
            out.problems.push_back(where + " is not name:key or name:key:admin");
            continue;
        }
        ApiKey key;
        key.name = entry.substr(0, colon);
        key.key = entry.substr(colon + 1);
        if (key.key.size() > kAdminSuffix.size() && key.key.ends_with(kAdminSuffix)) {
            key.admin = true;
            key.key.resize(key.key.size() - kAdminSuffix.size());
        }
        if (!valid_key_name(key.name)) {
            out.problems.push_back(where + ": the name must be letters, digits, '.', '_' or '-'");
            continue;
        }
        const std::string named = std::string(kName) + " key \"" + key.name + "\"";
        if (std::any_of(out.keys.begin(), out.keys.end(),
                        [&](const ApiKey& other) { return other.name == key.name; })) {
            out.problems.push_back(named + " is listed twice");
        } else if (key.key.size() < kMinKeyLength || has_blank(key.key)) {
            out.problems.push_back(named + " must be at least " + std::to_string(kMinKeyLength) +
                                   " characters without blanks (e.g. openssl rand -hex 32)");
        } else if (!keys_seen.insert(key.key).second) {
            out.problems.push_back(named + " uses the same key as another name");
        } else {
            out.keys.push_back(std::move(key));
        }
    }
    return out;
}

namespace detail {
namespace {

void load_webhook(const Reader& reader, Config& config) {
    constexpr const char* kUrl = "CERTCTL_WEBHOOK_URL";
    constexpr const char* kSecret = "CERTCTL_WEBHOOK_SECRET";
    auto& webhook = config.webhook;
    webhook.url = reader.text(kUrl);
    webhook.secret = reader.secret(kSecret);
    webhook.scan_interval = reader.duration("CERTCTL_EXPIRY_SCAN_INTERVAL", webhook.scan_interval);
    if (webhook.url.empty()) {
        if (!webhook.secret.empty()) {
            reader.warning(std::string(kSecret) + " is set but " + kUrl +
                           " is not: no expiry notifications are sent");
        }
        return;
    }
    const auto lower = env::to_lower(webhook.url);
    const bool http = lower.rfind("http://", 0) == 0;
    const bool https = lower.rfind("https://", 0) == 0;
    if ((!http && !https) || webhook.url.size() <= (http ? 7U : 8U)) {
        reader.problem(std::string(kUrl) + "=" + detail::quoted(webhook.url) +
                       " must be an http:// or https:// URL");
    }
    if (webhook.secret.empty()) {
        reader.problem(std::string(kUrl) + " is set but " + kSecret +
                       " is not: every notification is signed with it (HMAC-SHA256)");
    }
}

// Unset (or blank) keeps the store's audit rows; the audit log file is
// rotated outside estd either way.
void load_audit_retention(const Reader& reader, Config& config) {
    constexpr const char* kName = "CERTCTL_AUDIT_RETENTION";
    const auto retention = reader.duration(kName, std::chrono::seconds{0});
    if (retention.count() == 0) {
        return;
    }
    config.audit_retention = retention;
    if (retention < std::chrono::hours(24)) {
        reader.warning(std::string(kName) + "=" + env::format_duration(retention) +
                       " keeps the store's audit rows for less than a day");
    }
}

// More than a PostgreSQL server's default max_connections (100) already.
constexpr std::uint64_t kMaxDatabaseConnections = 1000;

void load_database_url(const Reader& reader, const DatabaseUrlReader& read_database_url,
                       Config& config) {
    constexpr const char* kName = "CERTCTL_DATABASE_URL";
    config.database_url = env::trim(reader.secret(kName));
    if (!config.database_url.empty() && read_database_url) {
        if (auto described = read_database_url(config.database_url)) {
            config.database_described = std::move(*described);
        } else {
            // The value is never repeated: it may carry a password.
            reader.problem(std::string(kName) +
                           " is not a PostgreSQL URL (postgresql://user@host/db) or connection "
                           "string (host=... dbname=...) that libpq can parse");
        }
    }
    constexpr const char* kConnections = "CERTCTL_DATABASE_MAX_CONNECTIONS";
    config.database_max_connections = reader.whole_number(
        kConnections, config.database_max_connections, 1, kMaxDatabaseConnections);
    if (reader.has(kConnections) && config.database_url.empty()) {
        reader.warning(std::string(kConnections) + " has no effect without " + kName +
                       " (the embedded store opens no connections)");
    }
}

}  // namespace

void load_operator_settings(const Reader& reader, const DatabaseUrlReader& read_database_url,
                            Config& config) {
    auto parsed = parse_api_keys(reader.secret("CERTCTL_API_KEYS_NAMED"));
    for (const auto& problem : parsed.problems) {
        reader.problem(problem);
    }
    config.api_keys = std::move(parsed.keys);
    load_webhook(reader, config);
    load_database_url(reader, read_database_url, config);
    load_audit_retention(reader, config);
}

}  // namespace detail
}  // namespace estd::config
