#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace estd::pki {

// RAII ownership for every OpenSSL object the project holds.
template <class T, void (*Free)(T*)>
struct OpenSslDeleter {
    void operator()(T* p) const noexcept { Free(p); }
};
template <class T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509ReqPtr = OpenSslPtr<X509_REQ, X509_REQ_free>;
using X509NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using X509PubkeyPtr = OpenSslPtr<X509_PUBKEY, X509_PUBKEY_free>;
using X509ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = OpenSslPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpCipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using Pkcs7Ptr = OpenSslPtr<PKCS7, PKCS7_free>;
using CmsPtr = OpenSslPtr<CMS_ContentInfo, CMS_ContentInfo_free>;
using Asn1IntegerPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1TimePtr = OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;

inline void free_general_names(GENERAL_NAMES* names) {
    GENERAL_NAMES_free(names);
}
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, free_general_names>;

inline void free_x509_stack(STACK_OF(X509) * stack) {
    sk_X509_pop_free(stack, X509_free);
}
using X509StackPtr = OpenSslPtr<STACK_OF(X509), free_x509_stack>;

inline void free_extension_stack(STACK_OF(X509_EXTENSION) * stack) {
    sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
}
using X509ExtensionStackPtr = OpenSslPtr<STACK_OF(X509_EXTENSION), free_extension_stack>;

// Memory OpenSSL allocated and hands over (PEM_read_bio, i2d_* with NULL out, ...).
struct OpenSslFreeDeleter {
    void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
template <class T>
using OpenSslBuffer = std::unique_ptr<T, OpenSslFreeDeleter>;

using Bytes = std::vector<std::uint8_t>;

// Shared ownership copies: X509_up_ref based.
X509Ptr share(X509* cert);
EvpPkeyPtr share(EVP_PKEY* key);

}  // namespace estd::pki
