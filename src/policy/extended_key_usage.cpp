#include "estd/policy/extended_key_usage.hpp"

#include <algorithm>

#include <openssl/objects.h>

#include "estd/policy/violation.hpp"

namespace estd::policy {
namespace {

// "serverAuth (1.3.6.1.5.5.7.3.1)" for a known OID, else the OID.
std::string describe_oid(const std::string& oid) {
    const int nid = OBJ_txt2nid(oid.c_str());
    const char* name = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
    return name != nullptr && oid != name ? std::string(name) + " (" + oid + ")" : oid;
}

}  // namespace

const std::vector<config::ExtendedKeyUsage>& default_extended_key_usages() {
    static const std::vector<config::ExtendedKeyUsage> usages = {
        {"clientAuth", "1.3.6.1.5.5.7.3.2"}, {"serverAuth", "1.3.6.1.5.5.7.3.1"}};
    return usages;
}

Status check_requested_ekus(std::string_view profile_id,
                            const std::vector<config::ExtendedKeyUsage>& allowed,
                            const std::vector<std::string>& requested_oids) {
    for (const auto& oid : requested_oids) {
        const bool ok =
            std::any_of(allowed.begin(), allowed.end(),
                        [&](const config::ExtendedKeyUsage& u) { return u.oid == oid; });
        if (!ok) {
            std::string names;
            for (const auto& usage : allowed) {
                names += (names.empty() ? "" : ", ") + usage.name;
            }
            return violation(profile_id, dimension::kEku,
                             "the CSR asks for " + describe_oid(oid) + "; allowed: " + names);
        }
    }
    return Ok{};
}

}  // namespace estd::policy
