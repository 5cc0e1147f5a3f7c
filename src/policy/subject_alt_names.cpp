#include "estd/policy/subject_alt_names.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "estd/config/env_parsing.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/policy/name_syntax.hpp"
#include "estd/policy/violation.hpp"

namespace estd::policy {
namespace {

std::optional<config::SanType> san_type(int gen_type) {
    switch (gen_type) {
        case GEN_DNS:
            return config::SanType::dns;
        case GEN_IPADD:
            return config::SanType::ip;
        case GEN_EMAIL:
            return config::SanType::email;
        case GEN_URI:
            return config::SanType::uri;
        default:
            return std::nullopt;
    }
}

const char* general_name_form(int gen_type) {
    switch (gen_type) {
        case GEN_OTHERNAME:
            return "otherName";
        case GEN_X400:
            return "x400Address";
        case GEN_DIRNAME:
            return "directoryName";
        case GEN_EDIPARTY:
            return "ediPartyName";
        case GEN_RID:
            return "registeredID";
        default:
            return "an unknown GeneralName form";
    }
}

std::string ia5_text(const ASN1_IA5STRING* text) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                       static_cast<std::size_t>(ASN1_STRING_length(text)));
}

bool email_within(const std::string& address, const std::vector<std::string>& domains) {
    const auto at = address.rfind('@');
    if (at == std::string::npos) {
        return false;
    }
    const auto domain = config::env::to_lower(address.substr(at + 1));
    return std::find(domains.begin(), domains.end(), domain) != domains.end();
}

std::string type_list(const std::vector<config::SanType>& types) {
    std::string names;
    for (const auto type : types) {
        names += (names.empty() ? "" : ", ") + std::string(config::san_type_name(type));
    }
    return names.empty() ? "none" : names;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

Status check_one(const config::CertificateProfileConfig& profile, const GENERAL_NAME* name) {
    const auto refuse = [&](const std::string& detail) {
        return violation(profile.id, dimension::kSan, detail);
    };
    const auto type = san_type(name->type);
    if (!type) {
        return refuse(std::string("the CSR asks for a ") + general_name_form(name->type) +
                      " name; estd issues only dns, ip, email and uri names");
    }
    const auto& allowed = profile.allowed_san_types;
    if (allowed && std::find(allowed->begin(), allowed->end(), *type) == allowed->end()) {
        return refuse("the CSR asks for a " + std::string(config::san_type_name(*type)) +
                      " name; allowed SAN types: " + type_list(*allowed));
    }
    switch (*type) {
        case config::SanType::dns: {
            const auto dns = ia5_text(name->d.dNSName);
            if (auto problem = dns_name_problem(dns, profile.allow_wildcard_dns)) {
                return refuse("DNS name \"" + printable(dns) + "\" " + *problem);
            }
            if (!profile.san_dns_suffixes.empty() &&
                !dns_name_within(dns, profile.san_dns_suffixes)) {
                return refuse("DNS name \"" + dns + "\" is not within " +
                              joined(profile.san_dns_suffixes));
            }
            break;
        }
        case config::SanType::email: {
            const auto email = ia5_text(name->d.rfc822Name);
            if (auto problem = email_problem(email)) {
                return refuse("email address \"" + printable(email) + "\" " + *problem);
            }
            if (!profile.san_email_domains.empty() &&
                !email_within(email, profile.san_email_domains)) {
                return refuse("email address \"" + email + "\" is not in " +
                              joined(profile.san_email_domains));
            }
            break;
        }
        case config::SanType::uri: {
            const auto uri = ia5_text(name->d.uniformResourceIdentifier);
            if (auto problem = uri_problem(uri)) {
                return refuse("URI \"" + printable(uri) + "\" " + *problem);
            }
            break;
        }
        case config::SanType::ip:
            if (auto problem =
                    ip_problem(static_cast<std::size_t>(ASN1_STRING_length(name->d.iPAddress)))) {
                return refuse("IP address " + *problem);
            }
            break;
    }
    return Ok{};
}

}  // namespace

bool dns_name_within(const std::string& name, const std::vector<std::string>& suffixes) {
    const auto lower = config::env::to_lower(name);
    return std::any_of(suffixes.begin(), suffixes.end(), [&](const std::string& suffix) {
        return lower == suffix ||
               (lower.size() > suffix.size() + 1 && lower.ends_with("." + suffix));
    });
}

Status check_subject_alt_names(const config::CertificateProfileConfig& profile,
                               const GENERAL_NAMES* names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        if (auto ok = check_one(profile, sk_GENERAL_NAME_value(names, i)); !ok) {
            return ok;
        }
    }
    return Ok{};
}

}  // namespace estd::policy
