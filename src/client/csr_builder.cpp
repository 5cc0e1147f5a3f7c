#include "estd/client/csr_builder.hpp"

#include <climits>
#include <openssl/err.h>

#include "estd/client/encoding.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/csr.hpp"
#include "estd/pki/openssl_error.hpp"

namespace estd::client {

namespace {

using Asn1ObjectPtr = pki::OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using GeneralNamePtr = pki::OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using Asn1OctetStringPtr = pki::OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;

Error openssl_failure(const std::string& what) {
    return Error::input(what + ": " + pki::drain_openssl_errors());
}

Status add_name_entry(X509_NAME* name, int nid, const std::string& value, const char* label) {
    if (value.empty()) {
        return Ok{};
    }
    if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
        return openssl_failure(std::string("cannot put ") + label + " \"" + value +
                               "\" in the subject");
    }
    return Ok{};
}

Result<pki::X509NamePtr> make_subject(const CsrRequest& request) {
    if (request.subject) {
        return pki::X509NamePtr(X509_NAME_dup(request.subject.get()));
    }
    pki::X509NamePtr name(X509_NAME_new());
    if (auto r = add_name_entry(name.get(), NID_commonName, request.common_name, "CN"); !r) {
        return std::move(r).take_error();
    }
    if (auto r =
            add_name_entry(name.get(), NID_serialNumber, request.serial_number, "serialNumber");
        !r) {
        return std::move(r).take_error();
    }
    return name;
}

Status push_string_name(GENERAL_NAMES* names, int type, const std::string& value,
                        const char* label) {
    if (value.empty()) {
        return Error::input(std::string("empty ") + label + " name");
    }
    GeneralNamePtr name(GENERAL_NAME_new());
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    ASN1_STRING_set(text, value.data(), static_cast<int>(value.size()));
    GENERAL_NAME_set0_value(name.get(), type, text);
    sk_GENERAL_NAME_push(names, name.release());
    return Ok{};
}

Status push_ip_name(GENERAL_NAMES* names, const std::string& value) {
    Asn1OctetStringPtr address(a2i_IPADDRESS(value.c_str()));
    if (!address) {
        ERR_clear_error();
        return Error::input("\"" + value + "\" is not an IP address");
    }
    GeneralNamePtr name(GENERAL_NAME_new());
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, address.release());
    sk_GENERAL_NAME_push(names, name.release());
    return Ok{};
}

Result<pki::GeneralNamesPtr> make_alt_names(const CsrRequest& request) {
    if (request.subject_alt_names) {
        return pki::GeneralNamesPtr(static_cast<GENERAL_NAMES*>(
            ASN1_item_dup(ASN1_ITEM_rptr(GENERAL_NAMES), request.subject_alt_names.get())));
    }
    pki::GeneralNamesPtr names(GENERAL_NAMES_new());
    for (const auto& dns : request.dns_names) {
        if (auto r = push_string_name(names.get(), GEN_DNS, dns, "DNS"); !r) {
            return std::move(r).take_error();
        }
    }
    for (const auto& ip : request.ip_addresses) {
        if (auto r = push_ip_name(names.get(), ip); !r) {
            return std::move(r).take_error();
        }
    }
    for (const auto& email : request.emails) {
        if (auto r = push_string_name(names.get(), GEN_EMAIL, email, "email"); !r) {
            return std::move(r).take_error();
        }
    }
    return names;
}

Status add_alt_names(X509_REQ* req, GENERAL_NAMES* names) {
    if (sk_GENERAL_NAME_num(names) == 0) {
        return Ok{};
    }
    pki::X509ExtensionStackPtr extensions(sk_X509_EXTENSION_new_null());
    pki::X509ExtensionPtr san(X509V3_EXT_i2d(NID_subject_alt_name, 0, names));
    if (!san || sk_X509_EXTENSION_push(extensions.get(), san.get()) == 0) {
        return openssl_failure("cannot encode subjectAltName");
    }
    static_cast<void>(san.release());  // now owned by the stack
    if (X509_REQ_add_extensions(req, extensions.get()) != 1) {
        return openssl_failure("cannot add the extensionRequest attribute");
    }
    return Ok{};
}

Status add_attributes(X509_REQ* req, const CsrRequest& request) {
    if (request.challenge_password) {
        const std::string& pw = *request.challenge_password;
        if (X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(pw.data()),
                                      static_cast<int>(pw.size())) != 1) {
            return openssl_failure("cannot add challengePassword");
        }
    }
    if (request.channel_binding_attribute) {
        const auto& value = *request.channel_binding_attribute;
        Asn1ObjectPtr oid(OBJ_txt2obj(kChannelBindingAttributeOid, 1));
        if (!oid || X509_REQ_add1_attr_by_OBJ(req, oid.get(), V_ASN1_OCTET_STRING, value.data(),
                                              static_cast<int>(value.size())) != 1) {
            return openssl_failure("cannot add the channel-binding attribute");
        }
    }
    return Ok{};
}

Result<pki::Bytes> to_der(X509_REQ* req) {
    unsigned char* raw = nullptr;
    const int length = i2d_X509_REQ(req, &raw);
    if (length <= 0) {
        return openssl_failure("cannot encode the CSR");
    }
    pki::OpenSslBuffer<unsigned char> owned(raw);
    return pki::Bytes(raw, raw + length);
}

}  // namespace

CsrRequest renewal_request(X509* cert) {
    CsrRequest request;
    request.subject.reset(X509_NAME_dup(X509_get_subject_name(cert)));
    request.subject_alt_names.reset(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!request.subject_alt_names) {
        request.subject_alt_names.reset(GENERAL_NAMES_new());
    }
    return request;
}

Result<pki::Bytes> build_csr(EVP_PKEY* key, const CsrRequest& request) {
    if (key == nullptr) {
        return Error::input("building a CSR needs a private key");
    }
    auto subject = make_subject(request);
    if (!subject) {
        return std::move(subject).take_error();
    }
    auto alt_names = make_alt_names(request);
    if (!alt_names) {
        return std::move(alt_names).take_error();
    }
    if (X509_NAME_entry_count(subject->get()) == 0 && sk_GENERAL_NAME_num(alt_names->get()) == 0) {
        return Error::input("the CSR needs a subject (--cn, --serial) or a SAN");
    }
    pki::X509ReqPtr req(X509_REQ_new());
    X509_REQ_set_version(req.get(), 0);  // the only version PKCS#10 defines
    if (X509_REQ_set_subject_name(req.get(), subject->get()) != 1 ||
        X509_REQ_set_pubkey(req.get(), key) != 1) {
        return openssl_failure("cannot fill the CSR");
    }
    if (auto r = add_alt_names(req.get(), alt_names->get()); !r) {
        return std::move(r).take_error();
    }
    if (auto r = add_attributes(req.get(), request); !r) {
        return std::move(r).take_error();
    }
    if (X509_REQ_sign(req.get(), key, pki::signature_digest_for(key)) <= 0) {
        return openssl_failure("cannot sign the CSR");
    }
    return to_der(req.get());
}

Result<pki::Bytes> csr_from_file_content(std::string_view content) {
    pki::Bytes der;
    if (content.find("-----BEGIN") != std::string_view::npos) {
        auto decoded = pem_decode(content, "CERTIFICATE REQUEST");
        if (!decoded) {
            decoded = pem_decode(content, "NEW CERTIFICATE REQUEST");
        }
        if (!decoded) {
            return Error::input("the CSR file has no CERTIFICATE REQUEST PEM block");
        }
        der = std::move(decoded).value();
    } else if (auto decoded = pki::base64_decode_lenient(content); decoded && !decoded->empty()) {
        der = std::move(*decoded);
    } else {
        der.assign(content.begin(), content.end());
    }
    auto csr = pki::Csr::from_der(der);
    if (!csr) {
        return Error::input("the CSR file cannot be used: " + csr.error().message);
    }
    return der;
}

std::string csr_pem(const pki::Bytes& der) {
    return pem_encode("CERTIFICATE REQUEST", der);
}

}  // namespace estd::client
