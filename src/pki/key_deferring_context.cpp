#include "key_deferring_context.hpp"

#include <openssl/err.h>
#include <openssl/provider.h>

#include "estd/pki/handles.hpp"

namespace estd::pki {

namespace {

using LibraryContextPtr = OpenSslPtr<OSSL_LIB_CTX, OSSL_LIB_CTX_free>;

void unload_provider(OSSL_PROVIDER* provider) {
    OSSL_PROVIDER_unload(provider);
}
using ProviderPtr = OpenSslPtr<OSSL_PROVIDER, unload_provider>;

struct KeyDeferringContext {
    KeyDeferringContext() {
        if (context && !provider) {
            context.reset();
        }
        ERR_clear_error();
    }
    LibraryContextPtr context{OSSL_LIB_CTX_new()};
    // After the context: unloaded before the context is freed.
    ProviderPtr provider{context ? OSSL_PROVIDER_load(context.get(), "null") : nullptr};
};

}  // namespace

OSSL_LIB_CTX* key_deferring_context() {
    static const KeyDeferringContext deferring;
    return deferring.context.get();
}

}  // namespace estd::pki
