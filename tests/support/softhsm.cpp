#include "support/softhsm.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>

#include "support/test_pki.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libp11.h>
#pragma GCC diagnostic pop

namespace estd::testing {

namespace {

namespace fs = std::filesystem;

constexpr const char* kModuleCandidates[] = {
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
};

bool on_path(const std::string& tool) {
    return run_command("command -v " + tool + " >/dev/null").exit_code == 0;
}

void require(bool ok, const std::string& what) {
    if (!ok) {
        throw std::runtime_error("SoftHSM fixture: " + what);
    }
}

struct CtxDeleter {
    void operator()(PKCS11_CTX* ctx) const noexcept {
        PKCS11_CTX_unload(ctx);
        PKCS11_CTX_free(ctx);
    }
};

// libp11 on the test token, for as long as one certificate takes.
class TokenSession {
  public:
    TokenSession() : ctx_(PKCS11_CTX_new()) {
        require(ctx_ != nullptr, "PKCS11_CTX_new");
        require(PKCS11_CTX_load(ctx_.get(), softhsm_module().c_str()) == 0, "loading SoftHSM2");
        require(PKCS11_enumerate_slots(ctx_.get(), &slots_, &count_) == 0, "listing slots");
    }
    ~TokenSession() { PKCS11_release_all_slots(ctx_.get(), slots_, count_); }
    TokenSession(const TokenSession&) = delete;
    TokenSession& operator=(const TokenSession&) = delete;

    pki::EvpPkeyPtr private_key(const std::string& label) {
        for (auto& slot : std::span(slots_, count_)) {
            if (slot.token == nullptr || std::strcmp(slot.token->label, SoftHsmToken::kLabel)) {
                continue;
            }
            require(PKCS11_login(&slot, 0, SoftHsmToken::kPin) == 0, "login");
            PKCS11_KEY* keys = nullptr;
            unsigned int count = 0;
            require(PKCS11_enumerate_keys(slot.token, &keys, &count) == 0, "listing keys");
            for (auto& key : std::span(keys, count)) {
                if (key.label != nullptr && label == key.label) {
                    return pki::EvpPkeyPtr(PKCS11_get_private_key(&key));
                }
            }
        }
        throw std::runtime_error("SoftHSM fixture: no key " + label);
    }

  private:
    std::unique_ptr<PKCS11_CTX, CtxDeleter> ctx_;
    PKCS11_SLOT* slots_ = nullptr;
    unsigned int count_ = 0;
};

}  // namespace

std::string softhsm_module() {
    for (const char* candidate : kModuleCandidates) {
        if (fs::exists(candidate)) {
            return candidate;
        }
    }
    return kModuleCandidates[0];
}

std::string fault_module() {
    return ESTD_PKCS11_FAULT_MODULE;
}

std::string softhsm_unavailable_reason() {
    if (!fs::exists(softhsm_module())) {
        return "the SoftHSM2 module is not installed (Debian package softhsm2)";
    }
    if (!on_path("softhsm2-util")) {
        return "softhsm2-util is not installed (Debian package softhsm2)";
    }
    if (!on_path("pkcs11-tool")) {
        return "pkcs11-tool is not installed (Debian package opensc)";
    }
    return {};
}

SoftHsmToken::SoftHsmToken(const fs::path& dir) {
    fs::create_directories(dir / "tokens");
    conf_path_ = (dir / "softhsm2.conf").string();
    write_file(conf_path_, "directories.tokendir = " + (dir / "tokens").string() +
                               "\nobjectstore.backend = file\nlog.level = ERROR\n");
    ::setenv("SOFTHSM2_CONF", conf_path_.c_str(), 1);
    const auto init = run_command("SOFTHSM2_CONF='" + conf_path_ +
                                  "' softhsm2-util --init-token --free --label " + kLabel +
                                  " --pin " + kPin + " --so-pin 5678 2>&1");
    require(init.exit_code == 0, "softhsm2-util --init-token: " + init.output);
}

CommandResult SoftHsmToken::tool(const std::string& args) const {
    return run_command("SOFTHSM2_CONF='" + conf_path_ + "' pkcs11-tool --module " +
                       softhsm_module() + " --token-label " + kLabel + " --login --pin " + kPin +
                       " " + args + " 2>&1");
}

void SoftHsmToken::generate_key(const std::string& label, const std::string& id_hex,
                                const std::string& key_type) const {
    const auto generated = tool("--keypairgen --key-type " + key_type + " --label " + label +
                                " --id " + id_hex + " --usage-sign");
    require(generated.exit_code == 0, "pkcs11-tool --keypairgen: " + generated.output);
}

std::string SoftHsmToken::self_signed_ca_pem(const std::string& label,
                                             const std::string& common_name) const {
    TokenSession session;
    auto key = session.private_key(label);
    auto cert = test::make_self_signed_ca(common_name, key.get());
    return test::certificates_pem({cert.get()});
}

std::string SoftHsmToken::uri(const std::string& label, const std::string& module) const {
    return std::string("pkcs11:token=") + kLabel + ";object=" + label +
           ";type=private?module-path=" + module;
}

}  // namespace estd::testing
