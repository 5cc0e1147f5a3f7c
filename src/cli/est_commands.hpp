#pragma once

#include <string>
#include <vector>

#include "est_options.hpp"
#include "estd/client/est_client.hpp"

namespace estd::cli {

enum class EstVerb { cacerts, csrattrs, enroll, reenroll, serverkeygen, test };

// Runs one `estctl est` verb; returns the process exit code.
int run_est_verb(EstVerb verb, const EstOptions& options);

// Shared with the test verb.
int report_failure(const Error& error);
std::string describe_certificate(X509* cert);

// Where a CSR comes from: a file sent as is, or a key it is built from
// (rebuilt per connection when it carries a channel binding).
struct CsrSource {
    pki::Bytes fixed_der;
    pki::EvpPkeyPtr key;
    pki::X509Ptr renew_from;  // names copied from this certificate
    EstOptions flags;
    std::optional<std::string> challenge_password;
    BindingMode binding = BindingMode::none;

    Result<pki::Bytes> build(const client::ChannelBinding* binding_value, bool verbose) const;
};

// `key`, when given, replaces loading --csr-key / --key.
Result<CsrSource> csr_source(const EstOptions& options, X509* renewal_certificate,
                             pki::EvpPkeyPtr key = {});

// Sends the CSR, bound to the connection when asked.
Result<client::EnrollResult> send_enroll(client::EstClient& est, client::EnrollOperation op,
                                         const CsrSource& source, bool verbose);

}  // namespace estd::cli
