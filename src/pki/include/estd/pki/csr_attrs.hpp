#pragma once

#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

inline void free_asn1_type_stack(STACK_OF(ASN1_TYPE) * stack) {
    sk_ASN1_TYPE_pop_free(stack, ASN1_TYPE_free);
}
using Asn1TypeStackPtr = OpenSslPtr<STACK_OF(ASN1_TYPE), free_asn1_type_stack>;

// The body of a csrattrs answer (RFC 7030 §4.5.2), with the ASN.1 as RFC 8951
// §4 corrected it:
//   CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID
//   AttrOrOID ::= CHOICE { oid OBJECT IDENTIFIER, attribute Attribute }
//   Attribute ::= SEQUENCE { type OBJECT IDENTIFIER,
//                            values SET SIZE(1..MAX) OF ANY }
// Encoded by OpenSSL: each item is an ASN1_TYPE (an OBJECT, or a SEQUENCE
// holding an i2d'd X509_ATTRIBUTE), the whole an ASN1_SEQUENCE_ANY.
class CsrAttrsBuilder {
  public:
    CsrAttrsBuilder();

    // A bare OID: the client should include this attribute (challengePassword,
    // serialNumber, ...).
    Status add_oid(int nid);
    // An Attribute whose values are OIDs: ecPublicKey with the allowed curves.
    Status add_attribute_with_oids(int type_nid, const std::vector<int>& value_nids);
    // An Attribute with one INTEGER value: rsaEncryption with the key size in
    // bits (RFC 9908).
    Status add_attribute_with_integer(int type_nid, long value);
    // The one extensionRequest attribute (RFC 9908) holding every extension
    // the certificate will carry, as an Extensions value.
    Status add_extension_request(const std::vector<X509ExtensionPtr>& extensions);

    bool empty() const;
    Result<Bytes> der() const;

  private:
    Status add_attribute(X509_ATTRIBUTE* attribute);
    Asn1TypeStackPtr items_;
};

}  // namespace estd::pki
