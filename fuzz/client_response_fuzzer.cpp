// estctl's reading of server answers: raw bytes parsed as an HTTP response
// by Beast (estctl's body limit), then every EST answer reader on it:
// cacerts/enroll (base64 or PEM certs-only PKCS#7), csrattrs, serverkeygen
// multipart (PKCS#8 or EnvelopedData, decrypted with the CSR's key), error
// text, the multipart and Content-Type parsers on their own, and
// estd-bench's reading of the certificates' keys.
#include "estd/client/encoding.hpp"
#include "estd/client/est_client.hpp"
#include "estd/client/multipart.hpp"
#include "estd/https/connection.hpp"
#include "estd/pki/pkcs7.hpp"
#include "support/fuzz_support.hpp"

namespace {

using estd::https::HttpResponse;

// The CSR estctl would have sent, so enroll answers can be matched to its key.
const estd::pki::Bytes& sent_csr() {
    static const estd::pki::Bytes csr =
        estd::test::make_csr(estd::fuzz::test_pki().ec_key.get(), "fuzz-device");
    return csr;
}

void read_serverkeygen(const HttpResponse& response) {
    auto result = estd::client::serverkeygen_from_response(response);
    if (!result) {
        return;
    }
    if (result->protection == estd::client::KeyProtection::enveloped) {
        X509* issued = result->certificates.empty() ? nullptr : result->certificates[0].get();
        (void)estd::client::decrypt_enveloped_key(result->key_der,
                                                  estd::fuzz::test_pki().ec_key.get(), issued);
    } else {
        (void)estd::client::parse_private_key_der(result->key_der);
    }
}

void read_parts(const HttpResponse& response) {
    const std::string content_type = response.header("Content-Type");
    (void)estd::client::parse_content_type(content_type);
    if (auto parts = estd::client::parse_multipart(content_type, response.body)) {
        for (const auto& part : *parts) {
            (void)part.header("Content-Type");
            if (auto der = estd::client::decode_payload(part.body, "part")) {
                (void)estd::pki::parse_certs_only_der(*der);
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto response = estd::https::parse_http_response(estd::fuzz::input_text(data, size));
    if (!response) {
        return 0;
    }
    (void)estd::client::http_error(*response);
    (void)estd::client::cacerts_from_response(*response, "cacerts answer");
    (void)estd::client::csrattrs_from_response(*response);
    (void)estd::client::enroll_from_response(*response, "simpleenroll", sent_csr());
    read_serverkeygen(*response);
    read_parts(*response);
    if (auto der = estd::client::decode_payload(response->body, "answer")) {
        (void)estd::pki::certs_only_public_key_infos(*der);
    }
    return 0;
}
