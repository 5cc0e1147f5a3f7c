// The hard bounds on one CSR: each is refused on its own with a 400 naming
// the bound and est_csr_policy_violation; a CSR at the bound passes.
#include <gtest/gtest.h>

#include "estd/est/csr_limits.hpp"
#include "support/test_pki.hpp"

namespace estd::est {
namespace {

std::vector<std::string> dns_names(std::size_t count) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < count; ++i) {
        names.push_back("DNS:host-" + std::to_string(i) + ".example.com");
    }
    return names;
}

pki::Csr parse(const pki::Bytes& der) {
    auto csr = pki::Csr::from_der(der);
    if (!csr) {
        throw std::runtime_error(csr.error().message);
    }
    return std::move(*csr);
}

void expect_refused(const Status& status, const std::string& what) {
    ASSERT_FALSE(status) << what;
    EXPECT_EQ(status.error().kind, ErrorKind::bad_request);
    EXPECT_EQ(status.error().audit_code, "est_csr_policy_violation");
    EXPECT_NE(status.error().message.find(what), std::string::npos) << status.error().message;
}

TEST(CsrLimits, SizeIsBoundedBeforeParsing) {
    const CsrLimits limits;
    EXPECT_TRUE(check_csr_size(limits.max_der_bytes));
    expect_refused(check_csr_size(limits.max_der_bytes + 1), "bytes of DER");
}

TEST(CsrLimits, SubjectAltNamesAreCounted) {
    const auto key = test::make_ec_key();
    const CsrLimits limits;
    EXPECT_TRUE(check_csr_contents(
        parse(test::make_csr(key.get(), "few", dns_names(limits.max_subject_alt_names)))));
    expect_refused(check_csr_contents(parse(test::make_csr(
                       key.get(), "many", dns_names(limits.max_subject_alt_names + 1)))),
                   "subjectAltNames");
}

TEST(CsrLimits, RequestedExtensionsAreCounted) {
    const auto key = test::make_ec_key();
    CsrLimits limits;
    limits.max_requested_extensions = 2;
    const std::vector<std::pair<std::string, std::string>> three = {
        {"extendedKeyUsage", "clientAuth"},
        {"keyUsage", "digitalSignature"},
        {"basicConstraints", "CA:FALSE"},
    };
    const auto csr = parse(test::make_csr(key.get(), "ext", {}, std::nullopt, three));
    expect_refused(check_csr_contents(csr, limits), "requested extensions");
    limits.max_requested_extensions = 3;
    EXPECT_TRUE(check_csr_contents(csr, limits));
}

TEST(CsrLimits, AttributesAndSubjectEntriesAreCounted) {
    const auto key = test::make_ec_key();
    test::CsrOptions options;
    options.common_name = "attrs";
    options.subject_entries = {{"O", "a"}, {"OU", "b"}, {"serialNumber", "c"}};
    options.text_attributes = {{"1.3.6.1.4.1.55555.1", "x"}, {"1.3.6.1.4.1.55555.2", "y"}};
    const auto csr = parse(test::make_csr(key.get(), options));
    CsrLimits limits;
    EXPECT_TRUE(check_csr_contents(csr, limits));
    limits.max_attributes = 1;
    expect_refused(check_csr_contents(csr, limits), "attributes");
    limits = CsrLimits{};
    limits.max_subject_entries = 3;
    expect_refused(check_csr_contents(csr, limits), "subject name entries");
}

}  // namespace
}  // namespace estd::est
