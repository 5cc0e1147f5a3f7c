// As http_router, with the operator API (/api/v1/..., an admin and a
// read-only Bearer key) and the CRL/OCSP routes (/.well-known/pki/...)
// mounted on a real SQLite store that the enrollments fill: listing,
// filtering and bulk-revoking certificates, the audit query, trust reloads,
// CRLs after revocations, OCSP requests in both forms.
#include "support/fuzz_support.hpp"
#include "support/router_fixture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static estd::fuzz::RouterFixture fixture(
        estd::fuzz::RouterFixture::Routes::with_operator_routes);
    fixture.serve(estd::fuzz::input_text(data, size));
    return 0;
}
