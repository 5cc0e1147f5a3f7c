#pragma once

// The real http::Router and est::EstService as the HTTP targets drive them:
// five EST profiles (legacy root; Basic with serverkeygen enveloped;
// serverkeygen plain PKCS#8 with a per-principal limit; mTLS-only; channel
// binding required with a strict certificate profile) on a LocalIssuer,
// trusted proxies for X-Forwarded-For. With operator routes, also the
// operator API (an admin and a read-only key) and the CRL/OCSP routes, on a
// real SQLite store in a temporary directory that enrollments fill and
// audit rows go to.

#include <memory>
#include <string_view>

namespace estd::fuzz {

// The operator API keys (fuzz/dict/operator_api.dict knows them).
inline constexpr const char* kAdminKey = "fuzz-admin-key";
inline constexpr const char* kReaderKey = "fuzz-reader-key";

class RouterFixture {
  public:
    enum class Routes { est_only, with_operator_routes };
    explicit RouterFixture(Routes routes);
    ~RouterFixture();
    RouterFixture(const RouterFixture&) = delete;
    RouterFixture& operator=(const RouterFixture&) = delete;

    // Raw bytes as read from a connection: up to four pipelined requests,
    // each parsed as the session does (the listener's default header and
    // body limits, EOF ending a body without length) and handed to the
    // router over an in-memory TLS 1.3 connection.
    void serve(std::string_view input);

  private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace estd::fuzz
