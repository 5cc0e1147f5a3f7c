// The baseline every certificate satisfies, with or without a certificate
// profile: name syntax (RFC 5280 §4.2.1.6), wildcards, key algorithms and
// sizes, the RSA public exponent, the CSR's signature digest, the subject CN.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/est/enrollment.hpp"
#include "estd/pki/csr.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "estd/policy/key_algorithm.hpp"
#include "support/csr_extras.hpp"
#include "support/test_pki.hpp"

namespace estd::policy {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// Only *.example.com DNS names and example.com mail, as in the finding.
config::CertificateProfileConfig example_profile() {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-example";
    cfg.san_dns_suffixes = {"example.com"};
    cfg.san_email_domains = {"example.com"};
    return cfg;
}

config::CertificateProfileConfig defaults_profile() {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-defaults";
    return cfg;
}

pki::Csr parse(const pki::Bytes& der) {
    auto csr = pki::Csr::from_der(der);
    EXPECT_TRUE(csr) << csr.error().message;
    return std::move(csr).value();
}

test::ExtendedCsrOptions device(std::vector<std::pair<int, std::string>> names = {}) {
    test::ExtendedCsrOptions options;
    options.common_name = "device";
    options.raw_names = std::move(names);
    return options;
}

pki::Csr csr_with(const test::ExtendedCsrOptions& options, EVP_PKEY* key = nullptr) {
    static const pki::EvpPkeyPtr p256 = test::make_ec_key();
    return parse(test::make_csr(key != nullptr ? key : p256.get(), options));
}

// What the profile says, and what the no-profile path (template_from_csr) says.
Status under(const config::CertificateProfileConfig& cfg, const pki::Csr& csr) {
    return CertificateProfile(cfg).check(csr);
}

Status without_profile(const pki::Csr& csr) {
    auto tmpl = est::template_from_csr(csr, 24h);
    if (!tmpl) {
        return std::move(tmpl).take_error();
    }
    return Ok{};
}

::testing::AssertionResult refused(const Status& status, const std::string& needle = {}) {
    if (status) {
        return ::testing::AssertionFailure() << "accepted";
    }
    const Error& error = status.error();
    if (error.kind != ErrorKind::bad_request ||
        error.audit_code != audit::codes::kCsrPolicyViolation ||
        error.message.find(needle) == std::string::npos) {
        return ::testing::AssertionFailure()
               << "kind " << static_cast<int>(error.kind) << ", audit " << error.audit_code << ": "
               << error.message;
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult accepted(const Status& status) {
    if (!status) {
        return ::testing::AssertionFailure() << status.error().message;
    }
    return ::testing::AssertionSuccess();
}

// Refused under the example profile, a profile with defaults and no profile.
void expect_refused_everywhere(const test::ExtendedCsrOptions& options, const std::string& needle,
                               const std::string& what) {
    const auto csr = csr_with(options);
    EXPECT_TRUE(refused(under(example_profile(), csr), needle)) << what;
    EXPECT_TRUE(refused(under(defaults_profile(), csr), needle)) << what;
    EXPECT_TRUE(refused(without_profile(csr), needle)) << what;
}

void expect_accepted_everywhere(const test::ExtendedCsrOptions& options, const std::string& what) {
    const auto csr = csr_with(options);
    EXPECT_TRUE(accepted(under(example_profile(), csr))) << what;
    EXPECT_TRUE(accepted(under(defaults_profile(), csr))) << what;
    EXPECT_TRUE(accepted(without_profile(csr))) << what;
}

// ---- names: RFC 5280 §4.2.1.6 syntax ------------------------------------------------

TEST(PolicyNameSyntax, MalformedDnsNamesAreRefusedOnEveryProfile) {
    const std::vector<std::string> bad = {
        "a.evil.net\0.example.com"s,
        "a..example.com",
        "a\n.example.com",
        "a b.example.com",
        "a/b.example.com",
        std::string(300, 'a') + ".example.com",
        std::string(64, 'a') + ".example.com",  // a label is at most 63
        "\xc3\xa9t\xc3\xa9.example.com",        // UTF-8, not an A-label
        "-a.example.com",
        "a-.example.com",
        "a.example.com.",
        "a_b.example.com",
        "",
        " ",
    };
    for (const auto& name : bad) {
        expect_refused_everywhere(device({{GEN_DNS, name}}), "DNS name", "DNS:" + name);
    }
}

TEST(PolicyNameSyntax, WellFormedDnsNamesPass) {
    for (const std::string name :
         {"a.example.com", "xn--bcher-kva.example.com", "A-1.B2.example.com", "example.com"}) {
        expect_accepted_everywhere(device({{GEN_DNS, name}}), "DNS:" + name);
    }
}

TEST(PolicyNameSyntax, MalformedEmailAddressesAreRefusedOnEveryProfile) {
    const std::vector<std::string> bad = {
        "bob@evil.net\0@example.com"s,
        "bob@evil.net@example.com",
        "bob@example.com\n",
        "bob",
        "@example.com",
        "bob@",
        "b ob@example.com",
        "bob..x@example.com",
        ".bob@example.com",
        "b\xc3\xb6@example.com",
        "bob@a..example.com",
        "\"bob@example.com",
    };
    for (const auto& address : bad) {
        expect_refused_everywhere(device({{GEN_EMAIL, address}}), "email address",
                                  "email:" + address);
    }
}

TEST(PolicyNameSyntax, WellFormedEmailAddressesPass) {
    for (const std::string address :
         {"bob@example.com", "bob.smith+tag@example.com", "\"bob smith\"@example.com"}) {
        expect_accepted_everywhere(device({{GEN_EMAIL, address}}), "email:" + address);
    }
}

TEST(PolicyNameSyntax, MalformedUrisAndIpsAreRefusedOnEveryProfile) {
    const std::vector<std::string> bad = {
        "no-scheme",
        ":no-scheme",
        "1http://a.example.com/",
        "https://a b.example.com/",
        "https://a.example.com/\n",
        "https://a.example.com/\0x"s,
        "https://a..example.com/",
        "https://[zz]/",
        "https://a.example.com/\xc3\xa9",
        "https://a.example.com/%zz",
        "https://",
    };
    for (const auto& uri : bad) {
        expect_refused_everywhere(device({{GEN_URI, uri}}), "URI", "URI:" + uri);
    }
    expect_refused_everywhere(device({{GEN_IPADD, "\x0a\x00\x00\x01\x02"s}}), "IP address",
                              "IP of 5 bytes");
}

TEST(PolicyNameSyntax, WellFormedUrisAndIpsPass) {
    for (const std::string uri :
         {"https://a.example.com/path?q=1#f", "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
          "spiffe://example.org/ns/x", "https://user@10.0.0.1:8443/", "https://[2001:db8::1]/"}) {
        expect_accepted_everywhere(device({{GEN_URI, uri}}), "URI:" + uri);
    }
    expect_accepted_everywhere(device({{GEN_IPADD, "\x0a\x00\x00\x01"s}}), "IPv4");
    expect_accepted_everywhere(device({{GEN_IPADD, std::string(16, '\x01')}}), "IPv6");
}

// ---- wildcards ------------------------------------------------------------------------

TEST(PolicyWildcard, RefusedUnlessTheProfileAllowsIt) {
    expect_refused_everywhere(device({{GEN_DNS, "*.example.com"}}), "wildcard", "*.example.com");
    expect_refused_everywhere(device({{GEN_DNS, "*"}}), "DNS name", "*");

    auto cfg = example_profile();
    cfg.allow_wildcard_dns = true;
    EXPECT_TRUE(accepted(under(cfg, csr_with(device({{GEN_DNS, "*.example.com"}})))));
    EXPECT_TRUE(accepted(under(cfg, csr_with(device({{GEN_DNS, "*.a.example.com"}})))));
    // Still a whole leftmost label, within the suffixes, and never "*" alone.
    for (const std::string name :
         {"*", "*.com", "a.*.example.com", "x*.example.com", "**.example.com", "*.evil.net"}) {
        EXPECT_TRUE(refused(under(cfg, csr_with(device({{GEN_DNS, name}}))))) << name;
    }
}

// ---- SAN types without a profile --------------------------------------------------------

TEST(PolicyBaseline, OnlyCheckableSanTypesAreIssuedWithoutAProfile) {
    // (directoryName takes the same path; it needs a config section to make.)
    for (const std::string name :
         {"otherName:1.3.6.1.4.1.311.20.2.3;UTF8:bob@example.com", "RID:1.2.3.4"}) {
        test::ExtendedCsrOptions options;
        options.common_name = "device";
        options.subject_alt_names = {name};
        const auto csr = csr_with(options);
        EXPECT_TRUE(refused(without_profile(csr), "estd issues only dns, ip, email and uri names"))
            << name;
        EXPECT_TRUE(refused(under(defaults_profile(), csr), "estd issues only dns")) << name;
    }
}

// ---- keys -------------------------------------------------------------------------------

TEST(PolicyBaseline, WeakOrUnusualKeysAreRefusedWithoutAProfile) {
    std::vector<std::pair<std::string, pki::EvpPkeyPtr>> keys;
    keys.emplace_back("1024 bits", test::make_rsa_key(1024));
    keys.emplace_back("prime192v1", test::make_ec_key("P-192"));
    keys.emplace_back("secp256k1", test::make_ec_key("secp256k1"));
    keys.emplace_back("ED448", test::make_key("ED448"));
    for (const auto& [name, key] : keys) {
        const auto csr = csr_with(device(), key.get());
        EXPECT_TRUE(refused(without_profile(csr), name)) << name;
        EXPECT_TRUE(refused(under(defaults_profile(), csr), name)) << name;
    }
    std::vector<pki::EvpPkeyPtr> good;
    good.push_back(test::make_rsa_key(2048));
    good.push_back(test::make_ec_key("P-384"));
    good.push_back(test::make_ed25519_key());
    for (const auto& key : good) {
        EXPECT_TRUE(accepted(without_profile(csr_with(device(), key.get()))));
    }
}

TEST(PolicyBaseline, CsrSignedWithAWeakDigestIsRefused) {
    const auto rsa = test::make_rsa_key(2048);
    for (const std::string digest : {"MD5", "SHA1", "SHA224"}) {
        auto options = device();
        options.digest = digest;
        const auto csr = csr_with(options, rsa.get());
        EXPECT_TRUE(refused(without_profile(csr), "SHA-256 or better")) << digest;
        EXPECT_TRUE(refused(under(example_profile(), csr), "SHA-256 or better")) << digest;
    }
    for (const std::string digest : {"SHA256", "SHA384", "SHA512", "SHA3-256"}) {
        auto options = device();
        options.digest = digest;
        EXPECT_TRUE(accepted(without_profile(csr_with(options, rsa.get())))) << digest;
    }
}

TEST(PolicyRsaExponent, SmallAndEvenExponentsAreRefused) {
    const auto e1 = test::make_rsa_key_with_exponent(2048, 1);
    const auto e3 = test::make_rsa_key_with_exponent(2048, 3);
    const auto e4 = test::make_rsa_key_with_exponent(2048, 4);
    const auto e65536 = test::make_rsa_key_with_exponent(2048, 65536);
    const auto e65537 = test::make_rsa_key_with_exponent(2048, 65537);
    const auto& rsa = default_key_algorithms();
    EXPECT_TRUE(refused(check_key_algorithm("cp", rsa, e1.get()), "exponent"));
    EXPECT_TRUE(refused(check_key_algorithm("cp", rsa, e3.get()), "exponent"));
    EXPECT_TRUE(refused(check_key_algorithm("cp", rsa, e4.get()), "exponent"));
    EXPECT_TRUE(refused(check_key_algorithm("cp", rsa, e65536.get()), "exponent"));
    EXPECT_TRUE(accepted(check_key_algorithm("cp", rsa, e65537.get())));
    // Allowed explicitly: odd exponents from 3; never 1 or even ones.
    EXPECT_TRUE(accepted(check_key_algorithm("cp", rsa, e3.get(), true)));
    EXPECT_TRUE(refused(check_key_algorithm("cp", rsa, e1.get(), true), "exponent"));
    EXPECT_TRUE(refused(check_key_algorithm("cp", rsa, e4.get(), true), "exponent"));

    // Through a CSR: e = 1 and e = 3 under an RSA-2048 minimum, and without a profile.
    config::CertificateProfileConfig cfg = defaults_profile();
    cfg.allowed_key_algorithms =
        std::vector<config::KeyAlgorithm>{{config::KeyAlgorithm::Type::rsa, 2048}};
    for (EVP_PKEY* key : {e1.get(), e3.get()}) {
        const auto csr = csr_with(device(), key);
        EXPECT_TRUE(refused(under(cfg, csr), "exponent"));
        EXPECT_TRUE(refused(without_profile(csr), "exponent"));
    }
    cfg.allow_small_rsa_exponent = true;
    EXPECT_TRUE(accepted(under(cfg, csr_with(device(), e3.get()))));
    EXPECT_TRUE(refused(under(cfg, csr_with(device(), e1.get())), "exponent"));
}

// ---- subject CN -------------------------------------------------------------------------

TEST(PolicyCommonName, AHostNameCnFollowsTheDnsRules) {
    auto options = device({{GEN_DNS, "a.example.com"}});
    options.common_name = "second.evil.net";
    EXPECT_TRUE(refused(under(example_profile(), csr_with(options)), "second.evil.net"));
    options.common_name = "a.example.com";
    EXPECT_TRUE(accepted(under(example_profile(), csr_with(options))));
    options.common_name = "b.example.com";  // within the suffixes, though not a SAN
    EXPECT_TRUE(accepted(under(example_profile(), csr_with(options))));
    options.common_name = "laptop-001";  // not a host name
    EXPECT_TRUE(accepted(under(example_profile(), csr_with(options))));
    options.common_name = "Alice Example";
    EXPECT_TRUE(accepted(under(example_profile(), csr_with(options))));
    options.common_name = "*.example.com";  // a wildcard only where the profile allows it
    EXPECT_TRUE(refused(under(example_profile(), csr_with(options)), "wildcard"));
    EXPECT_TRUE(refused(without_profile(csr_with(options)), "wildcard"));
    // No DNS rule: any host name.
    options.common_name = "second.evil.net";
    EXPECT_TRUE(accepted(under(defaults_profile(), csr_with(options))));
    EXPECT_TRUE(accepted(without_profile(csr_with(options))));
}

TEST(PolicyCommonName, LengthAndCharactersAreCheckedOnEveryProfile) {
    for (const std::string& cn : {"a\0b"s, "a\nb"s, "a\x7f"s, "tab\there"s, std::string(10000, 'a'),
                                  std::string(65, 'a'), "a\xc2\x85"s}) {
        test::ExtendedCsrOptions options;
        options.raw_common_name = cn;
        expect_refused_everywhere(options, "commonName", "CN of " + std::to_string(cn.size()));
    }
    for (const std::string& cn : {std::string(64, 'a'), "Zo\xc3\xab's laptop"s}) {
        test::ExtendedCsrOptions options;
        options.raw_common_name = cn;
        expect_accepted_everywhere(options, cn);
    }
}

}  // namespace
}  // namespace estd::policy
