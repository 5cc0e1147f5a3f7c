#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "estd/pki/handles.hpp"

// Keys, CAs and CSRs made in-process for tests. Failures throw
// std::runtime_error: a broken fixture is a bug in the test, not a result.
namespace estd::test {

pki::EvpPkeyPtr make_ec_key(const char* curve = "P-256");
pki::EvpPkeyPtr make_rsa_key(unsigned bits = 2048);
pki::EvpPkeyPtr make_ed25519_key();

struct CaOptions {
    // Relative to now; the default leaves room for clock skew in tests.
    std::chrono::seconds not_before_offset = std::chrono::hours(-1);
    std::chrono::seconds lifetime = std::chrono::days(3650);
    bool ca = true;                              // false makes an end-entity certificate
    bool subject_key_id = true;                  // false omits SKI (and the self-signed AKI)
    bool key_cert_sign = true;                   // keyUsage keyCertSign + cRLSign when ca
    std::vector<std::string> subject_alt_names;  // OpenSSL config syntax: "DNS:x", "IP:1.2.3.4"
};

// A self-signed CA with basicConstraints CA:TRUE, keyUsage keyCertSign/cRLSign.
pki::X509Ptr make_self_signed_ca(const std::string& common_name, EVP_PKEY* key, int days = 3650);
// A CA certificate for `key` signed by `issuer_cert`/`issuer_key`.
pki::X509Ptr make_intermediate(const std::string& common_name, EVP_PKEY* key, X509* issuer_cert,
                               EVP_PKEY* issuer_key, int days = 1825);
// General form: self-signed when issuer_cert is null.
pki::X509Ptr make_certificate(const std::string& common_name, EVP_PKEY* key, X509* issuer_cert,
                              EVP_PKEY* issuer_key, const CaOptions& options);

struct CsrOptions {
    std::string common_name;                     // empty: no subject at all
    std::vector<std::string> subject_alt_names;  // OpenSSL config syntax: "DNS:x", "IP:1.2.3.4"
    std::optional<std::string> challenge_password;
    // Extra requested extensions as (name, OpenSSL config value), e.g.
    // {"extendedKeyUsage", "clientAuth"}.
    std::vector<std::pair<std::string, std::string>> extra_extensions;
    // Extra attributes holding one OCTET STRING: (dotted OID, value).
    std::vector<std::pair<std::string, pki::Bytes>> octet_string_attributes;
    // Subject entries after the CN: (short name, value), e.g. ("serialNumber", "ABC123").
    std::vector<std::pair<std::string, std::string>> subject_entries;
    // Attributes holding one UTF8String: (short name or dotted OID, value).
    std::vector<std::pair<std::string, std::string>> text_attributes;
};

// A signed PKCS#10 request, DER encoded.
pki::Bytes make_csr(EVP_PKEY* key, const CsrOptions& options);
pki::Bytes make_csr(EVP_PKEY* key, const std::string& common_name,
                    const std::vector<std::string>& subject_alt_names = {},
                    std::optional<std::string> challenge_password = std::nullopt,
                    std::vector<std::pair<std::string, std::string>> extra_extensions = {});

std::string private_key_pem(EVP_PKEY* key);  // unencrypted PKCS#8
std::string certificates_pem(const std::vector<X509*>& certs);

// X509_V_OK when `leaf` chains to `root` through `intermediates` (checked
// at the current time, default verification flags).
int verify_certificate(X509* leaf, X509* root, const std::vector<X509*>& intermediates = {});

// A fresh directory removed with everything in it on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Writes `content` to path()/name (mode 0600) and returns the full path.
    std::string write(const std::string& name, const std::string& content) const;
    std::string write(const std::string& name, const pki::Bytes& content) const;

  private:
    std::filesystem::path path_;
};

}  // namespace estd::test
