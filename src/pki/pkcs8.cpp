#include "estd/pki/pkcs8.hpp"

#include <openssl/x509.h>

#include "estd/pki/openssl_error.hpp"

namespace estd::pki {
namespace {

using Pkcs8Ptr = OpenSslPtr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;

}  // namespace

Result<SecretBytes> private_key_pkcs8_der(EVP_PKEY* key) {
    // PKCS8_PRIV_KEY_INFO_free clears the private key octets it holds.
    const Pkcs8Ptr info(EVP_PKEY2PKCS8(key));
    const int length = info ? i2d_PKCS8_PRIV_KEY_INFO(info.get(), nullptr) : -1;
    if (length <= 0) {
        return Error::internal("cannot encode the private key as PKCS#8: " +
                               drain_openssl_errors());
    }
    SecretBytes der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    if (i2d_PKCS8_PRIV_KEY_INFO(info.get(), &cursor) != length) {
        return Error::internal("cannot encode the private key as PKCS#8: " +
                               drain_openssl_errors());
    }
    return der;
}

}  // namespace estd::pki
