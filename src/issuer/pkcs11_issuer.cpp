#include "estd/issuer/pkcs11_issuer.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "estd/issuer/pkcs11_uri.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/openssl_error.hpp"
#include "pkcs11_session_pool.hpp"

namespace estd::issuer {

namespace {

// A string wiped when it goes away: the PIN passes through a few of them.
struct Secret {
    std::string value;
    Secret() = default;
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    ~Secret() { OPENSSL_cleanse(value.data(), value.size()); }
};

// The PIN from its file (one trailing newline, LF or CRLF, trimmed: files
// written with echo have one) or from the variable the config names. The
// value never appears in a message.
Status read_pin(const config::IssuerConfig& cfg, std::string& pin) {
    if (!cfg.pkcs11_pin_file.empty()) {
        std::ifstream in(cfg.pkcs11_pin_file, std::ios::binary);
        if (!in) {
            return Error::internal("cannot read the PIN file " + cfg.pkcs11_pin_file);
        }
        pin.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (!pin.empty() && pin.back() == '\n') {
            pin.pop_back();
            if (!pin.empty() && pin.back() == '\r') {
                pin.pop_back();
            }
        }
        if (pin.empty()) {
            return Error::internal("the PIN file " + cfg.pkcs11_pin_file + " is empty");
        }
        return Ok{};
    }
    if (!cfg.pkcs11_pin_env.empty()) {
        const char* value = std::getenv(cfg.pkcs11_pin_env.c_str());
        if (value == nullptr || *value == '\0') {
            return Error::internal("the variable " + cfg.pkcs11_pin_env +
                                   " that should hold the PIN is not set");
        }
        pin = value;
        return Ok{};
    }
    return Error::internal(
        "a pkcs11 issuer needs its PIN from a file (PKCS11_PIN_FILE) or a "
        "variable (PKCS11_PIN_ENV)");
}

// Proof that the token key is the CA certificate's: a signature made on the
// token verifies with the certificate's public key. Comparing public keys
// alone would pass a token key object whose private half is another key's
// or cannot sign (CKA_SIGN false).
Status check_signs_for(EVP_PKEY* token_key, EVP_PKEY* certificate_key) {
    std::array<unsigned char, 32> digest{};
    std::fill(digest.begin(), digest.end(), 0x5a);
    std::array<unsigned char, 1024> signature{};
    std::size_t length = signature.size();
    pki::EvpPkeyCtxPtr sign(EVP_PKEY_CTX_new(token_key, nullptr));
    if (!sign || EVP_PKEY_sign_init(sign.get()) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(sign.get(), EVP_sha256()) <= 0 ||
        EVP_PKEY_sign(sign.get(), signature.data(), &length, digest.data(), digest.size()) <= 0) {
        return Error::internal("the token key cannot sign (" + pki::drain_openssl_errors() + ")");
    }
    pki::EvpPkeyCtxPtr verify(EVP_PKEY_CTX_new(certificate_key, nullptr));
    const bool verified =
        verify && EVP_PKEY_verify_init(verify.get()) > 0 &&
        EVP_PKEY_CTX_set_signature_md(verify.get(), EVP_sha256()) > 0 &&
        EVP_PKEY_verify(verify.get(), signature.data(), length, digest.data(), digest.size()) == 1;
    ERR_clear_error();
    if (!verified) {
        return Error::internal(
            "a signature made with the token key does not verify with the "
            "CA certificate's public key");
    }
    return Ok{};
}

Status check_key_matches(const std::string& prefix, const config::IssuerConfig& cfg,
                         const std::vector<pki::X509Ptr>& chain, EVP_PKEY* token_key) {
    X509* ca = chain.front().get();
    if (!pki::same_public_key(X509_get0_pubkey(ca), token_key)) {
        std::string hint;
        for (std::size_t i = 1; i < chain.size(); ++i) {
            if (pki::same_public_key(X509_get0_pubkey(chain[i].get()), token_key)) {
                hint = " (it matches certificate " + pki::chain_position(i) +
                       ": the issuing CA must come first in the file)";
            }
        }
        return Error::internal(prefix + "the token key " + cfg.pkcs11_uri +
                               " does not match the CA certificate in " + cfg.ca_cert_path +
                               ": the certificate's public key is another key's" + hint);
    }
    if (auto signs = check_signs_for(token_key, X509_get0_pubkey(ca)); !signs) {
        return Error::internal(prefix + signs.error().message + " (" + cfg.pkcs11_uri + ", " +
                               cfg.ca_cert_path + ")");
    }
    return Ok{};
}

Status check_ca(const std::string& prefix, const config::IssuerConfig& cfg,
                const std::vector<pki::X509Ptr>& chain) {
    X509* ca = chain.front().get();
    if (!pki::is_ca(ca)) {
        return Error::internal(prefix + "the certificate in " + cfg.ca_cert_path + " (" +
                               pki::name_to_string(X509_get_subject_name(ca)) +
                               ") is not a CA: it needs basicConstraints CA:TRUE and, when "
                               "keyUsage is present, keyCertSign");
    }
    return pki::check_chain_order(prefix, cfg.ca_cert_path, chain);
}

Error prefixed(const std::string& id, Error error) {
    error.message = "issuer " + id + ": " + error.message;
    return error;
}

}  // namespace

Pkcs11Issuer::Pkcs11Issuer(Checked, std::string id, std::vector<pki::X509Ptr> chain,
                           std::shared_ptr<pkcs11::SessionPool> pool, std::size_t key)
    : id_(std::move(id)), chain_(std::move(chain)), pool_(std::move(pool)), key_(key) {
}

Pkcs11Issuer::~Pkcs11Issuer() = default;

Result<std::unique_ptr<Pkcs11Issuer>> Pkcs11Issuer::load(const config::IssuerConfig& cfg) {
    const std::string prefix = "issuer " + cfg.id + ": ";
    if (cfg.ca_cert_path.empty() || cfg.pkcs11_uri.empty()) {
        return Error::internal(prefix +
                               "a pkcs11 issuer needs a CA certificate file and a PKCS#11 URI");
    }
    auto uri = parse_pkcs11_uri(cfg.pkcs11_uri);
    if (!uri) {
        // The URI is not repeated: a malformed one may hold a pasted PIN.
        return Error::internal(prefix + "the PKCS#11 URI " + uri.error().message);
    }
    auto chain = pki::load_certificates_file(cfg.ca_cert_path);
    if (!chain) {
        return Error::internal(prefix + "CA certificate: " + chain.error().message);
    }
    Secret pin;
    if (auto read = read_pin(cfg, pin.value); !read) {
        return prefixed(cfg.id, std::move(read).take_error());
    }
    auto registration =
        pkcs11::SessionPool::register_key(*uri, std::move(pin.value), cfg.pkcs11_pool_size);
    if (!registration) {
        return prefixed(cfg.id, std::move(registration).take_error());
    }
    {
        auto lease = registration->pool->acquire(registration->key);
        if (!lease) {
            return prefixed(cfg.id, std::move(lease).take_error());
        }
        if (auto matches = check_key_matches(prefix, cfg, *chain, lease->key()); !matches) {
            return std::move(matches).take_error();
        }
        lease->succeeded();
    }
    if (auto ca = check_ca(prefix, cfg, *chain); !ca) {
        return std::move(ca).take_error();
    }
    // X509_check_ca and X509_check_issued have cached every certificate's
    // extensions, so concurrent issue() calls only read them.
    ERR_clear_error();
    return std::make_unique<Pkcs11Issuer>(Checked{}, cfg.id, std::move(chain).value(),
                                          std::move(registration->pool), registration->key);
}

Result<pki::X509Ptr> Pkcs11Issuer::issue(pki::CertificateTemplate tmpl) {
    X509* ca = ca_certificate();
    tmpl.not_before = std::max(tmpl.not_before, pki::not_before(ca));
    tmpl.not_after = std::min(tmpl.not_after, pki::not_after(ca));
    if (tmpl.not_after <= tmpl.not_before) {
        return Error::internal("issuer " + id_ +
                               ": no validity left to give: the CA certificate is valid only "
                               "until its NotAfter, which is not after the requested NotBefore");
    }
    auto lease = pool_->acquire(key_);
    if (!lease) {
        return prefixed(id_, std::move(lease).take_error());
    }
    auto cert = pki::build_certificate(tmpl, ca, lease->key());
    if (!cert) {
        // build_certificate has drained the error queue into its message; a
        // test signature tells whether the token is what failed.
        if (!is_refusal(cert.error().kind)) {
            if (auto probe = lease->probe(); !probe) {
                return prefixed(id_, std::move(probe).take_error());
            }
        }
        return prefixed(id_, std::move(cert).take_error());
    }
    lease->succeeded();
    return cert;
}

Status Pkcs11Issuer::with_signing_key(const KeyUse& use) {
    auto lease = pool_->acquire(key_);
    if (!lease) {
        return prefixed(id_, std::move(lease).take_error());
    }
    auto used = use(lease->key());
    if (!used && !is_refusal(used.error().kind)) {
        if (auto probe = lease->probe(); !probe) {
            return prefixed(id_, std::move(probe).take_error());
        }
    }
    if (used) {
        lease->succeeded();
    }
    return used;
}

bool Pkcs11Issuer::ready() const {
    return pool_->ready(key_);
}

}  // namespace estd::issuer
