#include "estd/pki/chain_verifier.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace estd::pki {

Result<ChainVerifier> ChainVerifier::from_certificates(std::vector<X509Ptr> anchors) {
    if (anchors.empty()) {
        return Error::internal("no trust anchors");
    }
    X509StorePtr store(X509_STORE_new());
    if (!store) {
        return Error::internal("out of memory building a trust store");
    }
    for (const auto& anchor : anchors) {
        if (X509_STORE_add_cert(store.get(), anchor.get()) != 1) {
            ERR_clear_error();  // a duplicate anchor is harmless
        }
    }
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    return ChainVerifier(std::move(store), std::move(anchors));
}

Status ChainVerifier::verify(X509* leaf, STACK_OF(X509) * untrusted) const {
    if (leaf == nullptr) {
        return Error{401, {}, "no client certificate was presented"};
    }
    // X509_PURPOSE_SSL_CLIENT does not look at the leaf's basicConstraints:
    // a CA's own certificate (and key) would otherwise pass as a client.
    if ((X509_get_extension_flags(leaf) & EXFLAG_CA) != 0) {
        return Error{401,
                     {},
                     "client certificate rejected: it is a CA certificate (basicConstraints "
                     "CA:TRUE); a client authenticates with an end-entity certificate"};
    }
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), leaf, untrusted) != 1) {
        return Error::internal("cannot initialise certificate verification");
    }
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(ctx.get()) == 1) {
        return Ok{};
    }
    const int code = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Error{
        401,
        {},
        std::string("client certificate rejected: ") + X509_verify_cert_error_string(code)};
}

}  // namespace estd::pki
