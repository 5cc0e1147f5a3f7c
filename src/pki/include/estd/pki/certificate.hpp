#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// PEM files: every error names the file and what was wrong with it.
Result<std::vector<X509Ptr>> load_certificates_file(const std::string& path);
Result<EvpPkeyPtr> load_private_key_file(const std::string& path);
Result<std::vector<X509Ptr>> parse_certificates_pem(std::string_view pem);

Result<X509Ptr> parse_certificate_der(std::span<const std::uint8_t> der);
Bytes certificate_der(X509* cert);
std::string certificate_pem(X509* cert);

std::string name_to_string(const X509_NAME* name);  // RFC 2253 form
std::string common_name(const X509_NAME* name);     // empty when absent
std::string serial_hex(const X509* cert);           // integer_hex of the serial
std::chrono::system_clock::time_point not_after(const X509* cert);
std::chrono::system_clock::time_point not_before(const X509* cert);
bool is_ca(X509* cert);
// Lower-case hex of the integer's bytes, no separators: "0" for zero, "-"
// before a negative one (e.g. "1a2b", "0100", "-05").
std::string integer_hex(const ASN1_INTEGER* value);

// "#1" for the first certificate of a chain file, and so on.
std::string chain_position(std::size_t index);
// Each certificate of a chain file must be issued by the next one (the
// issuing CA first, then up to the root); errors start with `prefix` and
// name `path`.
Status check_chain_order(const std::string& prefix, const std::string& path,
                         const std::vector<X509Ptr>& chain);

// A root CA key update (RFC 4210 §4.4, RFC 7030 §4.1.3): `rollover` (from
// `path`) may hold only the link certificates between the root at the end of
// `chain` (from `chain_path`, which must end with a self-signed root) and one
// other root key, and that other root's self-signed certificate: at least one
// CA certificate for the other key signed by the chain's root (which vouches
// for it), and otherwise CA certificates for the chain root's key signed by
// the other key, or the other key's self-signed root. Errors start with
// `prefix` and say which certificate is wrong and why.
Status check_rollover_certificates(const std::string& prefix, const std::string& path,
                                   const std::string& chain_path, const std::vector<X509Ptr>& chain,
                                   const std::vector<X509Ptr>& rollover);

// Subject alternative names as "DNS:x", "IP:1.2.3.4", "email:x", "URI:x",
// in certificate order; a stable form for comparing and logging.
std::vector<std::string> subject_alt_names(const GENERAL_NAMES* names);
std::vector<std::string> subject_alt_names(X509* cert);

// True when `key` is the public half of / equal to the key in `cert`.
bool same_public_key(EVP_PKEY* a, EVP_PKEY* b);

// A SubjectPublicKeyInfo in DER; empty when it cannot be encoded. From an
// X509_PUBKEY as parsed (no key decoded or encoded), or from a key (through
// OpenSSL's encoder).
Bytes public_key_info_der(const X509_PUBKEY* info);
Bytes public_key_info_der(const EVP_PKEY* key);

}  // namespace estd::pki
