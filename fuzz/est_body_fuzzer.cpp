// EST request bodies as deployed clients send them (RFC 8951): base64 with
// any wrapping, PEM blocks, raw DER; and the lenient base64 decoder under
// it, held to a round trip with the encoder.
#include <cstdlib>

#include "estd/client/encoding.hpp"
#include "estd/est/wire.hpp"
#include "estd/pki/base64.hpp"
#include "support/fuzz_support.hpp"

namespace {

// What the decoder accepted must come back unchanged through the encoder.
void check_base64_round_trip(const estd::pki::Bytes& decoded) {
    const std::string encoded = estd::pki::base64_encode_lines(decoded);
    const auto again = estd::pki::base64_decode_lenient(encoded);
    if (!again || *again != decoded) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = estd::fuzz::input_text(data, size);
    if (auto decoded = estd::pki::base64_decode_lenient(text)) {
        check_base64_round_trip(*decoded);
    }
    (void)estd::est::decode_request_body(text);
    (void)estd::client::decode_payload(text, "fuzz input");
    (void)estd::client::pem_decode(text, "CERTIFICATE REQUEST");
    return 0;
}
