// Issuers: iss-local from CERTCTL_CA_CERT_PATH/CERTCTL_CA_KEY_PATH, and the
// ones listed in CERTCTL_ISSUERS with their CERTCTL_ISSUER_<ID>_* variables.

#include <algorithm>

#include "estd/config/env_parsing.hpp"
#include "loader.hpp"

namespace estd::config::detail {
namespace {

constexpr const char* kLocalIssuerId = "iss-local";
constexpr const char* kCaCertPath = "CERTCTL_CA_CERT_PATH";
constexpr const char* kCaKeyPath = "CERTCTL_CA_KEY_PATH";
constexpr const char* kCaRolloverCertsPath = "CERTCTL_CA_ROLLOVER_CERTS_PATH";
constexpr const char* kIssuers = "CERTCTL_ISSUERS";
constexpr const char* kCertWhat =
    "the CA certificate, PEM, optionally followed by its intermediates";
constexpr const char* kKeyWhat = "the CA private key, PEM";

Reader issuer_reader(const Reader& reader, const std::string& id) {
    return reader.with_context("issuer " + detail::quoted(id) + ": ");
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

// A name that can be looked up in the environment: [A-Za-z_][A-Za-z0-9_]*.
bool valid_variable_name(const std::string& name) {
    const auto word = [](char c) {
        return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               (c >= '0' && c <= '9');
    };
    return !name.empty() && !(name.front() >= '0' && name.front() <= '9') &&
           std::all_of(name.begin(), name.end(), word);
}

bool default_local_issuer_set(const Reader& reader) {
    return reader.has(kCaCertPath) || reader.has(kCaKeyPath);
}

// iss-local from the larger product's two variables; both or neither.
void add_default_local_issuer(const Reader& reader, IssuerCatalog& catalog) {
    if (!default_local_issuer_set(reader)) {
        return;
    }
    const Reader r = issuer_reader(reader, kLocalIssuerId);
    catalog.declared_ids.emplace_back(kLocalIssuerId);
    if (reader.has(kCaCertPath) != reader.has(kCaKeyPath)) {
        const std::string set = reader.has(kCaCertPath) ? kCaCertPath : kCaKeyPath;
        const std::string unset = reader.has(kCaCertPath) ? kCaKeyPath : kCaCertPath;
        r.problem(set + " is set but " + unset + " is not: the local issuer needs both");
        return;
    }
    IssuerConfig issuer;
    issuer.id = kLocalIssuerId;
    issuer.type = "local";
    issuer.ca_cert_path = r.required_file(kCaCertPath, kCertWhat);
    issuer.ca_key_path = r.required_file(kCaKeyPath, kKeyWhat);
    issuer.ca_rollover_certs_path = r.optional_file(kCaRolloverCertsPath);
    catalog.issuers.push_back(std::move(issuer));
}

void load_pkcs11_uri(const Reader& r, const std::string& prefix, IssuerConfig& issuer) {
    const std::string name = prefix + "PKCS11_URI";
    const auto uri = r.text(name);
    if (uri.empty()) {
        r.problem(name + " is required for a pkcs11 issuer (an RFC 7512 pkcs11: URI)");
    } else if (env::to_lower(uri).find("pin-value") != std::string::npos) {
        // The value is not repeated: it holds a PIN.
        r.problem(name + " carries a pin-value: never put the PIN in a URI; use " + prefix +
                  "PKCS11_PIN_FILE or " + prefix + "PKCS11_PIN_ENV");
    } else if (env::to_lower(uri).rfind("pkcs11:", 0) != 0) {
        r.problem(name + " is not an RFC 7512 URI (it must start with \"pkcs11:\")");
    } else {
        issuer.pkcs11_uri = uri;
    }
}

void load_pkcs11_pin(const Reader& r, const std::string& prefix, IssuerConfig& issuer) {
    const std::string file_name = prefix + "PKCS11_PIN_FILE";
    const std::string env_name = prefix + "PKCS11_PIN_ENV";
    const bool has_file = r.has(file_name);
    const bool has_env = r.has(env_name);
    if (has_file && has_env) {
        r.problem("set only one of " + file_name + " and " + env_name);
    } else if (!has_file && !has_env) {
        r.problem("a pkcs11 issuer needs its PIN: set " + file_name + " (a file holding it) or " +
                  env_name + " (the name of a variable holding it)");
    }
    if (has_file) {
        issuer.pkcs11_pin_file = r.optional_file(file_name);
    }
    if (has_env) {
        const auto variable = r.text(env_name);
        if (!valid_variable_name(variable)) {
            // Not repeated: an operator may have pasted the PIN itself.
            r.problem(env_name + " must be the name of a variable holding the PIN, not the PIN");
        } else if (!r.has(variable)) {
            r.problem(env_name + " names " + variable + ", which is not set");
        } else {
            issuer.pkcs11_pin_env = variable;
        }
    }
}

void add_listed_issuer(const Reader& reader, const std::string& id, IssuerCatalog& catalog) {
    const Reader r = issuer_reader(reader, id);
    const std::string prefix = "CERTCTL_ISSUER_" + env::env_id(id) + "_";
    IssuerConfig issuer;
    issuer.id = id;
    issuer.type = r.one_of(prefix + "TYPE", "", {"local", "pkcs11"});
    if (!r.has(prefix + "TYPE")) {
        r.problem(prefix + "TYPE is required (local or pkcs11)");
    }
    issuer.ca_cert_path = r.required_file(prefix + "CA_CERT_PATH", kCertWhat);
    issuer.ca_rollover_certs_path = r.optional_file(prefix + "CA_ROLLOVER_CERTS_PATH");
    if (issuer.type == "local") {
        issuer.ca_key_path = r.required_file(prefix + "CA_KEY_PATH", kKeyWhat);
    } else if (issuer.type == "pkcs11") {
        load_pkcs11_uri(r, prefix, issuer);
        load_pkcs11_pin(r, prefix, issuer);
        issuer.pkcs11_pool_size = static_cast<unsigned>(
            r.whole_number(prefix + "PKCS11_POOL_SIZE", issuer.pkcs11_pool_size, 1, 64));
        if (r.has(prefix + "CA_KEY_PATH")) {
            r.warning(prefix + "CA_KEY_PATH is ignored: a pkcs11 issuer's key stays in its token");
        }
    }
    catalog.issuers.push_back(std::move(issuer));
}

// Ids are looked up verbatim and turned into variable names, so they are kept
// to the guide's shape (iss-corp, iss-iot).
bool check_listed_id(const Reader& reader, const std::string& id,
                     const std::vector<std::string>& seen) {
    if (!env::valid_path_id(id)) {
        reader.problem(std::string(kIssuers) + " lists " + detail::quoted(id) +
                       ", which is not a valid issuer id (lower-case letters, digits and '-')");
        return false;
    }
    if (contains(seen, id)) {
        reader.problem(std::string(kIssuers) + " lists " + detail::quoted(id) + " twice");
        return false;
    }
    if (id == kLocalIssuerId && default_local_issuer_set(reader)) {
        issuer_reader(reader, id)
            .problem(std::string("defined twice: by ") + kCaCertPath + "/" + kCaKeyPath +
                     " and in " + kIssuers + " (CERTCTL_ISSUER_ISS_LOCAL_*); keep one");
        return false;
    }
    return true;
}

}  // namespace

IssuerCatalog load_issuers(const Reader& reader) {
    IssuerCatalog catalog;
    add_default_local_issuer(reader, catalog);
    std::vector<std::string> seen;
    for (const auto& id : env::split_list(reader.text(kIssuers))) {
        const bool ok = check_listed_id(reader, id, seen);
        seen.push_back(id);
        if (!contains(catalog.declared_ids, id)) {
            catalog.declared_ids.push_back(id);
        }
        if (ok) {
            add_listed_issuer(reader, id, catalog);
        }
    }
    return catalog;
}

}  // namespace estd::config::detail
