// Channel-binding extraction: the tls-exporter attribute and the base64
// challengePassword of a (re-signed) CSR, checked against real in-memory
// TLS 1.3 and TLS 1.2 connections and against no TLS at all.
#include <openssl/ssl.h>

#include "estd/auth/channel_binding.hpp"
#include "estd/pki/csr.hpp"
#include "support/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& pki = estd::fuzz::test_pki();
    const auto der =
        estd::fuzz::resigned_csr(estd::fuzz::input_bytes(data, size), pki.ec_key.get());
    if (!der) {
        return 0;
    }
    auto csr = estd::pki::Csr::from_der(*der);
    if (!csr) {
        return 0;
    }
    SSL* connections[] = {estd::fuzz::tls_connection(TLS1_3_VERSION).server.get(),
                          estd::fuzz::tls_connection(TLS1_2_VERSION).server.get(), nullptr};
    for (SSL* ssl : connections) {
        for (const bool required : {false, true}) {
            (void)estd::auth::check_channel_binding(*csr, ssl, required);
        }
    }
    return 0;
}
