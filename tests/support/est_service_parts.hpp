#pragma once

// What the EstService unit tests build their service from: an audit sink
// that keeps every event, a LocalIssuer on a test CA, and EST profiles on it.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "estd/audit/audit_log.hpp"
#include "estd/est/est_profile.hpp"
#include "estd/issuer/local_issuer.hpp"
#include "support/test_pki.hpp"

namespace estd::test {

class RecordingSink final : public audit::AuditSink {
  public:
    Status record(const audit::AuditEvent& event) override {
        events.push_back(event);
        return Ok{};
    }
    std::vector<audit::AuditEvent> events;
};

// Issuer "iss-local" signing with `ca_key`, its files written into `dir`.
inline std::unique_ptr<issuer::LocalIssuer> local_issuer(const TempDir& dir, X509* ca,
                                                         EVP_PKEY* ca_key) {
    config::IssuerConfig cfg;
    cfg.id = "iss-local";
    cfg.type = "local";
    cfg.ca_cert_path = dir.write("ca.crt", certificates_pem({ca}));
    cfg.ca_key_path = dir.write("ca.key", private_key_pem(ca_key));
    auto issuer = issuer::LocalIssuer::load(cfg);
    EXPECT_TRUE(issuer) << issuer.error().message;
    return issuer ? std::move(*issuer) : nullptr;
}

// The EST profile `name` (its PathID too) on `issuer`, its configuration
// changed by `edit` first.
template <class Edit>
est::EstProfile est_profile(const std::string& name, issuer::Issuer& issuer, Edit edit) {
    config::EstProfileConfig cfg;
    cfg.name = name;
    cfg.path_id = name;
    cfg.env_prefix = "CERTCTL_EST_PROFILE_" + name + "_";
    edit(cfg);
    auto made = est::make_est_profile(cfg, issuer);
    EXPECT_TRUE(made) << made.error().message;
    return std::move(made).value();
}

}  // namespace estd::test
