#include "estd/pki/csr_attrs.hpp"

#include "estd/pki/openssl_error.hpp"

namespace estd::pki {
namespace {

using Asn1TypePtr = OpenSslPtr<ASN1_TYPE, ASN1_TYPE_free>;
using Asn1StringPtr = OpenSslPtr<ASN1_STRING, ASN1_STRING_free>;
using X509AttributePtr = OpenSslPtr<X509_ATTRIBUTE, X509_ATTRIBUTE_free>;

Error failure(const char* what) {
    return Error::internal(std::string("cannot encode the CSR attributes: ") + what + ": " +
                           drain_openssl_errors());
}

// An ASN1_TYPE of a constructed type holds its complete DER, which i2d
// writes back verbatim: how an Attribute (or Extensions) nests in ANY.
Result<Asn1StringPtr> sequence_string(const unsigned char* der, int length) {
    Asn1StringPtr sequence(ASN1_STRING_type_new(V_ASN1_SEQUENCE));
    if (!sequence || ASN1_STRING_set(sequence.get(), der, length) != 1) {
        return failure("nesting a SEQUENCE");
    }
    return sequence;
}

X509AttributePtr attribute_of_type(int type_nid) {
    X509AttributePtr attribute(X509_ATTRIBUTE_new());
    ASN1_OBJECT* type = OBJ_nid2obj(type_nid);
    if (!attribute || type == nullptr || X509_ATTRIBUTE_set1_object(attribute.get(), type) != 1) {
        return nullptr;
    }
    return attribute;
}

}  // namespace

CsrAttrsBuilder::CsrAttrsBuilder() : items_(sk_ASN1_TYPE_new_null()) {
}

Status CsrAttrsBuilder::add_oid(int nid) {
    ASN1_OBJECT* object = OBJ_nid2obj(nid);
    Asn1TypePtr item(ASN1_TYPE_new());
    if (!items_ || object == nullptr || !item ||
        ASN1_TYPE_set1(item.get(), V_ASN1_OBJECT, object) != 1 ||
        sk_ASN1_TYPE_push(items_.get(), item.get()) <= 0) {
        return failure("adding an OID");
    }
    static_cast<void>(item.release());
    return Ok{};
}

Status CsrAttrsBuilder::add_attribute_with_oids(int type_nid, const std::vector<int>& value_nids) {
    X509AttributePtr attribute = attribute_of_type(type_nid);
    if (!attribute || value_nids.empty()) {
        return failure("making an attribute");
    }
    for (const int value : value_nids) {
        ASN1_OBJECT* object = OBJ_nid2obj(value);
        // len -1: `data` is the value itself, copied by ASN1_TYPE_set1.
        if (object == nullptr ||
            X509_ATTRIBUTE_set1_data(attribute.get(), V_ASN1_OBJECT, object, -1) != 1) {
            return failure("adding an attribute value");
        }
    }
    return add_attribute(attribute.get());
}

Status CsrAttrsBuilder::add_attribute_with_integer(int type_nid, long value) {
    X509AttributePtr attribute = attribute_of_type(type_nid);
    Asn1IntegerPtr integer(ASN1_INTEGER_new());
    if (!attribute || !integer || ASN1_INTEGER_set(integer.get(), value) != 1 ||
        X509_ATTRIBUTE_set1_data(attribute.get(), V_ASN1_INTEGER, integer.get(), -1) != 1) {
        return failure("making an INTEGER attribute");
    }
    return add_attribute(attribute.get());
}

Status CsrAttrsBuilder::add_extension_request(const std::vector<X509ExtensionPtr>& extensions) {
    X509ExtensionStackPtr stack(sk_X509_EXTENSION_new_null());
    if (!stack || extensions.empty()) {
        return failure("collecting extensions");
    }
    for (const auto& extension : extensions) {
        // The stack borrows: it is emptied before it is freed.
        if (sk_X509_EXTENSION_push(stack.get(), extension.get()) <= 0) {
            while (sk_X509_EXTENSION_num(stack.get()) > 0) {
                sk_X509_EXTENSION_pop(stack.get());
            }
            return failure("collecting extensions");
        }
    }
    unsigned char* der = nullptr;
    const int length = i2d_X509_EXTENSIONS(stack.get(), &der);
    const OpenSslBuffer<unsigned char> owned(der);
    while (sk_X509_EXTENSION_num(stack.get()) > 0) {
        sk_X509_EXTENSION_pop(stack.get());
    }
    if (length <= 0) {
        return failure("encoding Extensions");
    }
    auto value = sequence_string(der, length);
    X509AttributePtr attribute = attribute_of_type(NID_ext_req);
    if (!value || !attribute ||
        X509_ATTRIBUTE_set1_data(attribute.get(), V_ASN1_SEQUENCE, value->get(), -1) != 1) {
        return failure("making the extensionRequest attribute");
    }
    return add_attribute(attribute.get());
}

Status CsrAttrsBuilder::add_attribute(X509_ATTRIBUTE* attribute) {
    unsigned char* der = nullptr;
    const int length = i2d_X509_ATTRIBUTE(attribute, &der);
    const OpenSslBuffer<unsigned char> owned(der);
    if (length <= 0) {
        return failure("encoding an attribute");
    }
    auto sequence = sequence_string(der, length);
    if (!sequence) {
        return std::move(sequence).take_error();
    }
    Asn1TypePtr item(ASN1_TYPE_new());
    if (!items_ || !item) {
        return failure("adding an attribute");
    }
    ASN1_TYPE_set(item.get(), V_ASN1_SEQUENCE, sequence->release());
    if (sk_ASN1_TYPE_push(items_.get(), item.get()) <= 0) {
        return failure("adding an attribute");
    }
    static_cast<void>(item.release());
    return Ok{};
}

bool CsrAttrsBuilder::empty() const {
    return !items_ || sk_ASN1_TYPE_num(items_.get()) == 0;
}

Result<Bytes> CsrAttrsBuilder::der() const {
    unsigned char* der = nullptr;
    const int length = i2d_ASN1_SEQUENCE_ANY(items_.get(), &der);
    const OpenSslBuffer<unsigned char> owned(der);
    if (length <= 0) {
        return failure("encoding CsrAttrs");
    }
    return Bytes(der, der + length);
}

}  // namespace estd::pki
