// Raw bytes as they would arrive on a connection, parsed as the session
// parses them, each complete request handed to the real Router and
// EstService (support/router_fixture.hpp) over an in-memory TLS 1.3
// connection. No socket, no store: the EST paths at full speed. The
// operator API and the PKI routes are the operator_api target's.
#include "support/fuzz_support.hpp"
#include "support/router_fixture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static estd::fuzz::RouterFixture fixture(estd::fuzz::RouterFixture::Routes::est_only);
    fixture.serve(estd::fuzz::input_text(data, size));
    return 0;
}
