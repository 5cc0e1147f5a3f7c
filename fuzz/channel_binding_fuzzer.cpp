// Channel-binding extraction: the tls-exporter attribute and the base64
// challengePassword of a (re-signed) CSR, checked against real in-memory
// TLS 1.3 and TLS 1.2 connections and against no TLS at all. Then the same
// request carrying each connection's real binding (in the attribute, or in
// challengePassword, and nowhere else) must be accepted on that connection:
// a refusal aborts.
#include <cstdlib>
#include <optional>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "estd/auth/channel_binding.hpp"
#include "estd/net/peer_identity.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/csr.hpp"
#include "support/fuzz_support.hpp"

namespace {

using estd::pki::Bytes;

enum class Slot { attribute, challenge_password };

void delete_attributes(X509_REQ* req, const ASN1_OBJECT* type) {
    for (int i = X509_REQ_get_attr_by_OBJ(req, type, -1); i >= 0;
         i = X509_REQ_get_attr_by_OBJ(req, type, -1)) {
        X509_ATTRIBUTE_free(X509_REQ_delete_attr(req, i));
    }
}

// `der` with `binding` in `slot` and no other binding, re-signed by `key`.
std::optional<Bytes> with_binding(const Bytes& der, Slot slot, const Bytes& binding,
                                  EVP_PKEY* key) {
    const unsigned char* cursor = der.data();
    const estd::pki::X509ReqPtr req(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())));
    const estd::pki::OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free> attribute(
        OBJ_txt2obj(estd::auth::kChannelBindingAttributeOid, 1));
    if (!req || !attribute) {
        ERR_clear_error();
        return std::nullopt;
    }
    delete_attributes(req.get(), attribute.get());
    delete_attributes(req.get(), OBJ_nid2obj(NID_pkcs9_challengePassword));
    std::string password = estd::pki::base64_encode_lines(binding);
    std::erase(password, '\n');
    const int added =
        slot == Slot::attribute
            ? X509_REQ_add1_attr_by_OBJ(req.get(), attribute.get(), V_ASN1_OCTET_STRING,
                                        binding.data(), static_cast<int>(binding.size()))
            : X509_REQ_add1_attr_by_NID(req.get(), NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                        reinterpret_cast<const unsigned char*>(password.data()),
                                        static_cast<int>(password.size()));
    if (added != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    return estd::fuzz::signed_request_der(req.get(), key);
}

// A CSR that carries exactly `peer`'s binding must pass on `peer`.
void expect_accepted(const Bytes& der, const estd::pki::PeerIdentity& peer, Slot slot,
                     EVP_PKEY* key) {
    const auto binding = estd::auth::server_channel_binding(peer);
    if (!binding) {
        std::abort();  // both in-memory connections can carry one
    }
    const auto bound = with_binding(der, slot, binding->value, key);
    if (!bound) {
        return;
    }
    const auto csr = estd::pki::Csr::from_der(*bound);
    if (csr && !estd::auth::check_channel_binding(*csr, peer, true)) {
        std::abort();
    }
}

}  // namespace

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
    // The server's view of each connection, as the session reads it once.
    static const estd::pki::PeerIdentity tls13 = estd::net::read_peer_identity(
        estd::fuzz::tls_connection(TLS1_3_VERSION).server.get(), "192.0.2.7");
    static const estd::pki::PeerIdentity tls12 = estd::net::read_peer_identity(
        estd::fuzz::tls_connection(TLS1_2_VERSION).server.get(), "192.0.2.7");
    static const estd::pki::PeerIdentity no_tls;
    for (const estd::pki::PeerIdentity* peer : {&tls13, &tls12, &no_tls}) {
        for (const bool required : {false, true}) {
            (void)estd::auth::check_channel_binding(*csr, *peer, required);
        }
    }
    expect_accepted(*der, tls13, Slot::attribute, pki.ec_key.get());
    expect_accepted(*der, tls13, Slot::challenge_password, pki.ec_key.get());
    expect_accepted(*der, tls12, Slot::challenge_password, pki.ec_key.get());
    return 0;
}
