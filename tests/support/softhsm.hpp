#pragma once

#include <filesystem>
#include <string>

#include "support/daemon.hpp"

namespace estd::testing {

// Why SoftHSM2 tests cannot run here (softhsm2, opensc or the module
// missing), or empty when they can. scripts/install-deps.sh installs both.
std::string softhsm_unavailable_reason();
// Debian's SoftHSM2 PKCS#11 module.
std::string softhsm_module();
// The test PKCS#11 module that forwards to SoftHSM2 and can pretend its
// token was removed (tests/pkcs11_fault/fault_module.cpp).
std::string fault_module();

// A SoftHSM2 token of its own in `dir` (softhsm2.conf, tokens/): label
// "estd-test", user PIN 1234. SOFTHSM2_CONF is set in this process too, so
// in-process code and the tools see the same token.
class SoftHsmToken {
  public:
    static constexpr const char* kLabel = "estd-test";
    static constexpr const char* kPin = "1234";

    explicit SoftHsmToken(const std::filesystem::path& dir);

    const std::string& conf_path() const { return conf_path_; }
    // `pkcs11-tool --module ... --token-label estd-test --login <args>`; the
    // output merges stderr.
    CommandResult tool(const std::string& args) const;
    // A key pair generated on the token: private half sensitive and never
    // extractable. `key_type` as pkcs11-tool takes it: EC:prime256v1, rsa:3072.
    void generate_key(const std::string& label, const std::string& id_hex,
                      const std::string& key_type) const;
    // A self-signed CA certificate (PEM) for the token key `label`, signed
    // on the token through libp11.
    std::string self_signed_ca_pem(const std::string& label, const std::string& common_name) const;
    // pkcs11:token=estd-test;object=<label>;type=private?module-path=<module>
    std::string uri(const std::string& label, const std::string& module = softhsm_module()) const;

  private:
    std::string conf_path_;
};

}  // namespace estd::testing
