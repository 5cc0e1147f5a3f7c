#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/issuer/crl_signer.hpp"
#include "estd/issuer/issuer.hpp"
#include "estd/pki/handles.hpp"

namespace estd::issuer {

namespace pkcs11 {
class SessionPool;
}

// A CA whose private key stays on a PKCS#11 token (an HSM, SoftHSM2, a smart
// card), used through libp11. Signing leases one session of a pool shared by
// every issuer on the same module, so issue() runs on several threads at
// once; a failing token answers 503 and is re-opened (new sessions, login)
// by a later request or /readyz probe, without a restart.
class Pkcs11Issuer final : public Issuer, public CrlSigner {
  public:
    // Reads the PIN (cfg.pkcs11_pin_file, trailing newline trimmed, or the
    // variable cfg.pkcs11_pin_env names), parses cfg.pkcs11_uri, loads the
    // module, logs in and finds the key, then checks cfg.ca_cert_path as the
    // local issuer does. Refuses, naming the issuer and the problem: an
    // unloadable module, a token or key not found, a wrong PIN, a key that is
    // neither RSA nor EC, a CA certificate whose public key is not the token
    // key's, a certificate that is not a CA, a chain out of order.
    static Result<std::unique_ptr<Pkcs11Issuer>> load(const config::IssuerConfig& cfg);
    ~Pkcs11Issuer() override;

    const std::string& id() const override { return id_; }
    const std::vector<pki::X509Ptr>& chain() const override { return chain_; }
    // The validity is clamped into the CA's own, as for the local issuer.
    Result<pki::X509Ptr> issue(pki::CertificateTemplate tmpl) override;
    bool ready() const override;
    // Lends the token key with its session leased for the duration of `use`.
    Status with_signing_key(const KeyUse& use) override;

  private:
    struct Checked {};

  public:
    Pkcs11Issuer(Checked, std::string id, std::vector<pki::X509Ptr> chain,
                 std::shared_ptr<pkcs11::SessionPool> pool, std::size_t key);

  private:
    std::string id_;
    std::vector<pki::X509Ptr> chain_;
    std::shared_ptr<pkcs11::SessionPool> pool_;
    std::size_t key_;
};

}  // namespace estd::issuer
