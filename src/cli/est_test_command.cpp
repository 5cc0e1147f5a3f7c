#include "est_test_command.hpp"

#include <array>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <openssl/rand.h>

#include "est_commands.hpp"
#include "estd/core/hex.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/key_generation.hpp"
#include "exit_codes.hpp"

namespace estd::cli {

namespace {

class StepReport {
  public:
    void pass(const std::string& step, const std::string& detail) { line("PASS", step, detail); }
    void fail(const std::string& step, const Error& error) {
        line("FAIL", step, error.message);
        if (exit_code_ == kExitOk) {
            exit_code_ = exit_code_for(error);
        }
    }
    void skip(const std::string& step, const std::string& why) { line("SKIP", step, why); }
    int exit_code() const { return exit_code_; }

  private:
    static void line(const char* verdict, const std::string& step, const std::string& detail) {
        std::cout << verdict << "  " << std::left << std::setw(10) << step << detail << std::endl;
    }
    int exit_code_ = kExitOk;
};

std::string random_suffix() {
    std::array<unsigned char, 4> bytes{};
    RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
    return to_hex(bytes);
}

Result<pki::EvpPkeyPtr> test_key(const EstOptions& o) {
    const std::string& path = o.csr_key.empty() ? o.key : o.csr_key;
    if (path.empty()) {
        auto key = pki::generate_ec_key("P-256");
        if (!key) {
            return Error::input("cannot generate an EC P-256 key: " + key.error().message);
        }
        return std::move(key).value();
    }
    auto key = pki::load_private_key_file(path);
    if (!key) {
        return Error::input(key.error().message);
    }
    return std::move(key).value();
}

void step_cacerts(client::EstClient& est, StepReport& report) {
    auto certs = est.cacerts();
    if (!certs) {
        report.fail("cacerts", certs.error());
        return;
    }
    report.pass("cacerts", std::to_string(certs->size()) + " CA certificate(s), first " +
                               pki::name_to_string(X509_get_subject_name(certs->front().get())));
}

void step_csrattrs(client::EstClient& est, StepReport& report) {
    auto attrs = est.csrattrs();
    if (!attrs) {
        report.fail("csrattrs", attrs.error());
        return;
    }
    if (attrs->der.empty()) {
        report.pass("csrattrs", "nothing required (204)");
        return;
    }
    std::string names;
    for (const auto& item : attrs->items) {
        names += (names.empty() ? "" : ", ") + item.name;
    }
    report.pass("csrattrs", std::to_string(attrs->items.size()) + " entr" +
                                (attrs->items.size() == 1 ? "y: " : "ies: ") + names);
}

// Re-enrolls over a new connection authenticated by the certificate just issued.
void step_reenroll(const client::EstClientOptions& base, const client::EnrollResult& issued,
                   const CsrSource& enrolled, const EstOptions& o, StepReport& report) {
    client::EstClientOptions options = base;
    auto identity = std::make_shared<https::ClientIdentity>();
    for (const auto& cert : issued.certificates) {
        identity->chain.push_back(pki::share(cert.get()));
    }
    identity->key = pki::share(enrolled.key.get());
    options.connection.identity = std::move(identity);
    client::EstClient renewer(std::move(options));

    CsrSource source;
    source.key = pki::share(enrolled.key.get());
    source.renew_from = pki::share(issued.certificates.front().get());
    source.binding = enrolled.binding;
    source.challenge_password = enrolled.challenge_password;
    auto renewed = send_enroll(renewer, client::EnrollOperation::simplereenroll, source, o.verbose);
    if (!renewed) {
        report.fail("reenroll", renewed.error());
    } else if (renewed->pending) {
        report.fail("reenroll",
                    Error::protocol("pending (202), retry after " + renewed->retry_after));
    } else {
        report.pass("reenroll",
                    "renewed " + describe_certificate(renewed->certificates.front().get()));
    }
}

}  // namespace

int run_est_test(const EstOptions& o) {
    warn_if_insecure(o);
    auto options = client_options(o);
    if (!options) {
        return report_failure(options.error());
    }
    StepReport report;
    client::EstClient est(*options);
    step_cacerts(est, report);
    step_csrattrs(est, report);

    EstOptions flags = o;
    if (!has_name_flags(flags)) {
        flags.cn = "estctl-test-" + random_suffix();
    }
    flags.csr_file.clear();
    auto key = test_key(o);
    auto source =
        key ? csr_source(flags, nullptr, std::move(key).value()) : Result<CsrSource>(key.error());
    if (!source) {
        report.fail("enroll", source.error());
        report.skip("reenroll", "needs a certificate from enroll");
        return report.exit_code();
    }
    auto issued = send_enroll(est, client::EnrollOperation::simpleenroll, *source, o.verbose);
    if (!issued || issued->pending) {
        report.fail("enroll",
                    issued ? Error::protocol("pending (202), retry after " + issued->retry_after)
                           : issued.error());
        report.skip("reenroll", "needs a certificate from enroll");
        return report.exit_code();
    }
    report.pass("enroll", "issued " + describe_certificate(issued->certificates.front().get()));
    step_reenroll(*options, *issued, *source, o, report);
    return report.exit_code();
}

}  // namespace estd::cli
