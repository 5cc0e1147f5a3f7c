#pragma once

#include <span>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// CMS EnvelopedData (RFC 5652 §6) of `content` (id-data), encrypted with
// AES-256-CBC under a fresh content key and IV, the content key transported
// to `recipient` — an RSA public key — in one KeyTransRecipientInfo
// (RSAES-PKCS1-v1_5). DER encoded.
//
// The recipient is identified by issuerAndSerialNumber, not by
// subjectKeyIdentifier: PKCS#7 decoders (`openssl smime`, which the guide
// names, and many embedded libraries) cannot read the latter. A bare key has
// no certificate, so the pair names `recipient_name` (the requester's
// subject) with serial number 1; clients decrypt with their key alone
// (`openssl cms -decrypt -inkey`, `openssl smime -decrypt -inkey`).
// 400 when the key cannot receive a key transport (not RSA).
Result<Bytes> envelope_for_key(std::span<const std::uint8_t> content, EVP_PKEY* recipient,
                               const X509_NAME* recipient_name = nullptr);

}  // namespace estd::pki
