#include "estd/policy/required_attributes.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "estd/policy/violation.hpp"

namespace estd::policy {
namespace {

constexpr std::size_t kMaxSerialLength = 64;  // X.520 ub-serial-number

// X.680 PrintableString: letters, digits, space and '()+,-./:=?
bool printable(const std::string& text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view(" '()+,-./:=?").find(c) != std::string_view::npos;
    });
}

// The single value of `nid` in the subject; "" when absent; nullopt when it
// appears more than once or cannot be read.
std::optional<std::string> subject_value(const X509_NAME* subject, int nid) {
    const int index = X509_NAME_get_index_by_NID(subject, nid, -1);
    if (index < 0) {
        return std::string();
    }
    if (X509_NAME_get_index_by_NID(subject, nid, index) >= 0) {
        return std::nullopt;
    }
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    const pki::OpenSslBuffer<unsigned char> owned(utf8);
    if (length < 0) {
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
}

Status check_serial_text(std::string_view profile_id, const std::string& serial,
                         const char* where) {
    if (serial.empty() || serial.size() > kMaxSerialLength || !printable(serial)) {
        return violation(profile_id, dimension::kAttribute,
                         std::string("deviceSerialNumber in the ") + where +
                             " must be 1 to 64 letters, digits, spaces or '()+,-./:=?");
    }
    return Ok{};
}

// deviceSerialNumber: subject serialNumber and/or the serialNumber attribute.
Status add_device_serial(std::string_view profile_id, const pki::Csr& csr, X509_NAME* subject) {
    const auto in_subject = subject_value(subject, NID_serialNumber);
    if (!in_subject) {
        return violation(profile_id, dimension::kAttribute,
                         "the subject carries serialNumber more than once");
    }
    const auto in_attribute = csr.text_attribute(NID_serialNumber);
    if (!in_attribute && csr.has_attribute(NID_serialNumber)) {
        return violation(profile_id, dimension::kAttribute,
                         "the serialNumber attribute must hold exactly one string");
    }
    if (in_subject->empty() && !in_attribute) {
        return violation(
            profile_id, dimension::kAttribute,
            "deviceSerialNumber is required: put the serial in the subject as serialNumber "
            "(e.g. /CN=laptop-001/serialNumber=ABC123) or in a serialNumber (2.5.4.5) attribute");
    }
    if (!in_subject->empty()) {
        if (auto ok = check_serial_text(profile_id, *in_subject, "subject"); !ok) {
            return ok;
        }
    }
    if (!in_attribute) {
        return Ok{};
    }
    if (auto ok = check_serial_text(profile_id, *in_attribute, "serialNumber attribute"); !ok) {
        return ok;
    }
    if (!in_subject->empty()) {
        if (*in_subject != *in_attribute) {
            return violation(profile_id, dimension::kAttribute,
                             "the subject's serialNumber and the serialNumber attribute differ");
        }
        return Ok{};
    }
    if (X509_NAME_add_entry_by_NID(subject, NID_serialNumber, MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(in_attribute->c_str()),
                                   -1, -1, 0) != 1) {
        return Error::internal("cannot add serialNumber to the subject");
    }
    return Ok{};
}

Status require_subject_entry(std::string_view profile_id, config::RequiredAttribute attribute,
                             const X509_NAME* subject) {
    const auto value = subject_value(subject, subject_nid(attribute));
    if (!value || value->empty()) {
        return violation(
            profile_id, dimension::kAttribute,
            std::string(config::required_attribute_name(attribute)) +
                (value ? " is required in the subject" : " must appear once in the subject"));
    }
    return Ok{};
}

}  // namespace

int subject_nid(config::RequiredAttribute attribute) {
    switch (attribute) {
        case config::RequiredAttribute::device_serial_number:
            return NID_serialNumber;
        case config::RequiredAttribute::common_name:
            return NID_commonName;
        case config::RequiredAttribute::organization:
            return NID_organizationName;
        case config::RequiredAttribute::organizational_unit:
            return NID_organizationalUnitName;
        case config::RequiredAttribute::country:
            return NID_countryName;
    }
    return NID_undef;
}

Result<pki::X509NamePtr> issued_subject(std::string_view profile_id,
                                        const std::vector<config::RequiredAttribute>& required,
                                        const pki::Csr& csr) {
    pki::X509NamePtr subject(X509_NAME_dup(csr.subject()));
    if (!subject) {
        return Error::internal("cannot copy the CSR subject");
    }
    for (const auto attribute : required) {
        const Status ok = attribute == config::RequiredAttribute::device_serial_number
                              ? add_device_serial(profile_id, csr, subject.get())
                              : require_subject_entry(profile_id, attribute, subject.get());
        if (!ok) {
            return ok.error();
        }
    }
    return subject;
}

}  // namespace estd::policy
