#include <map>
#include <string_view>

#include "estd/issuer/issuer.hpp"
#include "estd/issuer/local_issuer.hpp"
#include "estd/issuer/pkcs11_issuer.hpp"
#include "estd/pki/certificate.hpp"

namespace estd::issuer {

namespace {

using IssuerFactory = Result<std::unique_ptr<Issuer>> (*)(const config::IssuerConfig&);

Result<std::unique_ptr<Issuer>> make_local(const config::IssuerConfig& cfg) {
    auto issuer = LocalIssuer::load(cfg);
    if (!issuer) {
        return std::move(issuer).take_error();
    }
    return std::unique_ptr<Issuer>(std::move(issuer).value());
}

Result<std::unique_ptr<Issuer>> make_pkcs11(const config::IssuerConfig& cfg) {
    auto issuer = Pkcs11Issuer::load(cfg);
    if (!issuer) {
        return std::move(issuer).take_error();
    }
    return std::unique_ptr<Issuer>(std::move(issuer).value());
}

const std::map<std::string_view, IssuerFactory>& factories() {
    static const std::map<std::string_view, IssuerFactory> registry{
        {"local", make_local},
        {"pkcs11", make_pkcs11},
    };
    return registry;
}

Status load_rollover_certificates(const config::IssuerConfig& cfg, Issuer& issuer) {
    if (cfg.ca_rollover_certs_path.empty()) {
        return Ok{};
    }
    const std::string prefix = "issuer " + cfg.id + ": ";
    auto certs = pki::load_certificates_file(cfg.ca_rollover_certs_path);
    if (!certs) {
        return Error::internal(prefix + "rollover certificates: " + certs.error().message);
    }
    if (auto linked = pki::check_rollover_certificates(prefix, cfg.ca_rollover_certs_path,
                                                       cfg.ca_cert_path, issuer.chain(), *certs);
        !linked) {
        return linked;
    }
    issuer.set_rollover_certificates(std::move(*certs));
    return Ok{};
}

}  // namespace

Result<std::unique_ptr<Issuer>> make_issuer(const config::IssuerConfig& cfg) {
    const auto& registry = factories();
    if (const auto found = registry.find(cfg.type); found != registry.end()) {
        auto issuer = found->second(cfg);
        if (!issuer) {
            return issuer;
        }
        if (auto rollover = load_rollover_certificates(cfg, **issuer); !rollover) {
            return std::move(rollover).take_error();
        }
        return issuer;
    }
    std::string known;
    for (const auto& [type, factory] : registry) {
        known += known.empty() ? "" : ", ";
        known += type;
    }
    return Error::internal("issuer " + cfg.id + ": unknown type '" + cfg.type +
                           "' (known types: " + known + ")");
}

}  // namespace estd::issuer
