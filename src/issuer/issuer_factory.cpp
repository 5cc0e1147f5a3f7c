#include <map>
#include <string_view>

#include "estd/issuer/issuer.hpp"
#include "estd/issuer/local_issuer.hpp"
#include "estd/issuer/pkcs11_issuer.hpp"

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

}  // namespace

Result<std::unique_ptr<Issuer>> make_issuer(const config::IssuerConfig& cfg) {
    const auto& registry = factories();
    if (const auto found = registry.find(cfg.type); found != registry.end()) {
        return found->second(cfg);
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
