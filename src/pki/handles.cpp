#include "estd/pki/handles.hpp"

namespace estd::pki {

X509Ptr share(X509* cert) {
    X509_up_ref(cert);
    return X509Ptr(cert);
}

EvpPkeyPtr share(EVP_PKEY* key) {
    EVP_PKEY_up_ref(key);
    return EvpPkeyPtr(key);
}

}  // namespace estd::pki
