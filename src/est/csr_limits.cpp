#include "estd/est/csr_limits.hpp"

#include <string>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "estd/audit/audit_codes.hpp"

namespace estd::est {
namespace {

Status within(std::size_t count, std::size_t limit, const char* what) {
    if (count <= limit) {
        return Ok{};
    }
    return Error::bad_request("CSR exceeds estd's limits: " + std::to_string(count) + " " + what +
                                  " (at most " + std::to_string(limit) + ")",
                              std::string(audit::codes::kCsrPolicyViolation));
}

}  // namespace

Status check_csr_size(std::size_t der_bytes, const CsrLimits& limits) {
    return within(der_bytes, limits.max_der_bytes, "bytes of DER");
}

Status check_csr_contents(const pki::Csr& csr, const CsrLimits& limits) {
    const auto extensions = csr.requested_extensions();
    const auto extension_count = static_cast<std::size_t>(sk_X509_EXTENSION_num(extensions.get()));
    if (auto ok = within(extension_count, limits.max_requested_extensions, "requested extensions");
        !ok) {
        return ok;
    }
    const auto names = csr.subject_alt_names();
    const auto name_count =
        names ? static_cast<std::size_t>(sk_GENERAL_NAME_num(names.get())) : std::size_t{0};
    if (auto ok = within(name_count, limits.max_subject_alt_names, "subjectAltNames"); !ok) {
        return ok;
    }
    const auto attribute_count = static_cast<std::size_t>(X509_REQ_get_attr_count(csr.get()));
    if (auto ok = within(attribute_count, limits.max_attributes, "attributes"); !ok) {
        return ok;
    }
    const auto entry_count = static_cast<std::size_t>(X509_NAME_entry_count(csr.subject()));
    return within(entry_count, limits.max_subject_entries, "subject name entries");
}

}  // namespace estd::est
