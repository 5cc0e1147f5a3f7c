// Certificate profiles: every dimension a CSR can be refused on, and what an
// accepted CSR's certificate gets.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/csr.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "estd/policy/key_algorithm.hpp"
#include "estd/policy/lifetime.hpp"
#include "estd/policy/publication_urls.hpp"
#include "support/test_pki.hpp"

namespace estd::policy {
namespace {

using namespace std::chrono_literals;
using config::KeyAlgorithm;
using Type = config::KeyAlgorithm::Type;

const config::ExtendedKeyUsage kClientAuth{"clientAuth", "1.3.6.1.5.5.7.3.2"};
const config::ExtendedKeyUsage kServerAuth{"serverAuth", "1.3.6.1.5.5.7.3.1"};

// The guide's WiFi profile: P-256 and RSA-2048+, clientAuth only, the device
// serial required, one year.
config::CertificateProfileConfig wifi_profile() {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-wifi-eap-tls";
    cfg.allowed_key_algorithms = std::vector<KeyAlgorithm>{{Type::ec_p256, 0}, {Type::rsa, 2048}};
    cfg.allowed_ekus = std::vector<config::ExtendedKeyUsage>{kClientAuth};
    cfg.required_csr_attributes = {config::RequiredAttribute::device_serial_number};
    cfg.max_ttl = std::chrono::seconds(31536000);
    return cfg;
}

pki::Csr parse(const pki::Bytes& der) {
    auto csr = pki::Csr::from_der(der);
    EXPECT_TRUE(csr) << csr.error().message;
    return std::move(csr).value();
}

pki::Csr csr_for(EVP_PKEY* key, test::CsrOptions options) {
    return parse(test::make_csr(key, options));
}

test::CsrOptions laptop(std::string serial = "ABC123") {
    test::CsrOptions options;
    options.common_name = "laptop-001";
    if (!serial.empty()) {
        options.subject_entries = {{"serialNumber", serial}};
    }
    return options;
}

// The refusal is a 400 policy violation whose message starts with `dimension`.
::testing::AssertionResult refused_on(const Status& status, const std::string& dimension,
                                      const std::string& needle = {}) {
    if (status) {
        return ::testing::AssertionFailure() << "accepted; expected a " << dimension << " refusal";
    }
    const Error& error = status.error();
    if (error.kind != ErrorKind::bad_request ||
        error.audit_code != audit::codes::kCsrPolicyViolation) {
        return ::testing::AssertionFailure()
               << "kind " << static_cast<int>(error.kind) << ", audit " << error.audit_code << ": "
               << error.message;
    }
    if (error.message.rfind(dimension + " refused by certificate profile", 0) != 0 ||
        error.message.find(needle) == std::string::npos) {
        return ::testing::AssertionFailure() << "message: " << error.message;
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult accepted(const Status& status) {
    if (!status) {
        return ::testing::AssertionFailure() << status.error().message;
    }
    return ::testing::AssertionSuccess();
}

// ---- key algorithm and size ---------------------------------------------------

TEST(PolicyKeyAlgorithm, AllowedKeysPass) {
    const CertificateProfile profile(wifi_profile());
    EXPECT_TRUE(accepted(profile.check(csr_for(test::make_ec_key("P-256").get(), laptop()))));
    EXPECT_TRUE(accepted(profile.check(csr_for(test::make_rsa_key(2048).get(), laptop()))));
    EXPECT_TRUE(accepted(profile.check(csr_for(test::make_rsa_key(3072).get(), laptop()))));
}

TEST(PolicyKeyAlgorithm, OtherKeyTypesAreRefusedOnKeyAlgorithm) {
    const CertificateProfile profile(wifi_profile());
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key("P-384").get(), laptop())),
                           "key algorithm", "EC P-384"));
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ed25519_key().get(), laptop())),
                           "key algorithm", "EC-P256, RSA-2048+"));
}

TEST(PolicyKeyAlgorithm, SmallRsaIsRefusedOnKeySize) {
    auto cfg = wifi_profile();
    cfg.allowed_key_algorithms = std::vector<KeyAlgorithm>{{Type::rsa, 3072}};
    const CertificateProfile profile(cfg);
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_rsa_key(2048).get(), laptop())),
                           "key size", "2048 bits; the minimum is 3072"));
}

TEST(PolicyKeyAlgorithm, DefaultsAllowEveryTypeAndGenerateRsa2048) {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-any";
    const CertificateProfile profile(cfg);
    std::vector<pki::EvpPkeyPtr> keys;
    keys.push_back(test::make_ec_key("P-256"));
    keys.push_back(test::make_ec_key("P-384"));
    keys.push_back(test::make_ed25519_key());
    keys.push_back(test::make_rsa_key(2048));
    for (const auto& key : keys) {
        EXPECT_TRUE(accepted(profile.check(csr_for(key.get(), laptop()))));
    }
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key("P-521").get(), laptop())),
                           "key algorithm"));
    EXPECT_EQ(profile.generated_key_algorithm().name(), "RSA-2048");
    EXPECT_EQ(CertificateProfile(wifi_profile()).generated_key_algorithm().name(), "EC-P256");
}

TEST(PolicyKeyAlgorithm, GeneratesTheConfiguredKey) {
    auto p256 = generate_key({Type::ec_p256, 0});
    ASSERT_TRUE(p256);
    EXPECT_EQ(describe_key(p256->get()), "EC P-256");
    auto rsa = generate_key({Type::rsa, 2048});
    ASSERT_TRUE(rsa);
    EXPECT_EQ(describe_key(rsa->get()), "RSA 2048");
    auto ed = generate_key({Type::ed25519, 0});
    ASSERT_TRUE(ed);
    EXPECT_TRUE(EVP_PKEY_is_a(ed->get(), "ED25519"));
}

// ---- EKU ------------------------------------------------------------------------

TEST(PolicyEku, ServerAuthIsRefusedWhenOnlyClientAuthIsAllowed) {
    const CertificateProfile profile(wifi_profile());
    auto options = laptop();
    options.extra_extensions = {{"extendedKeyUsage", "serverAuth"}};
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), options)), "EKU",
                           "serverAuth"));
    options.extra_extensions = {{"extendedKeyUsage", "clientAuth,serverAuth"}};
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), options)), "EKU",
                           "allowed: clientAuth"));
    options.extra_extensions = {{"extendedKeyUsage", "1.3.6.1.4.1.99999.1"}};
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), options)), "EKU",
                           "1.3.6.1.4.1.99999.1"));
}

TEST(PolicyEku, RequestedUsagesWithinTheProfilePass) {
    const CertificateProfile profile(wifi_profile());
    auto options = laptop();
    options.extra_extensions = {{"extendedKeyUsage", "clientAuth"}};
    EXPECT_TRUE(accepted(profile.check(csr_for(test::make_ec_key().get(), options))));
}

// ---- SAN -------------------------------------------------------------------------

config::CertificateProfileConfig san_profile() {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-corp";
    cfg.allowed_san_types =
        std::vector<config::SanType>{config::SanType::dns, config::SanType::email};
    cfg.san_dns_suffixes = {"corp.example.com"};
    cfg.san_email_domains = {"example.com"};
    return cfg;
}

Status check_sans(const CertificateProfile& profile, std::vector<std::string> names) {
    test::CsrOptions options;
    options.common_name = "device";
    options.subject_alt_names = std::move(names);
    return profile.check(csr_for(test::make_ec_key().get(), options));
}

TEST(PolicySan, NamesWithinTheRulesPass) {
    const CertificateProfile profile(san_profile());
    EXPECT_TRUE(accepted(check_sans(profile, {"DNS:corp.example.com"})));
    EXPECT_TRUE(accepted(check_sans(profile, {"DNS:Laptop-1.CORP.example.com"})));
    EXPECT_TRUE(accepted(check_sans(profile, {"email:alice@Example.COM"})));
}

TEST(PolicySan, EachRuleRefusesOnSan) {
    const CertificateProfile profile(san_profile());
    EXPECT_TRUE(refused_on(check_sans(profile, {"IP:10.0.0.1"}), "SAN", "ip name"));
    EXPECT_TRUE(refused_on(check_sans(profile, {"URI:https://x.example.com"}), "SAN", "uri"));
    EXPECT_TRUE(refused_on(check_sans(profile, {"DNS:evil.example.com"}), "SAN",
                           "\"evil.example.com\" is not within corp.example.com"));
    // A suffix matches on a label boundary only.
    EXPECT_TRUE(refused_on(check_sans(profile, {"DNS:xcorp.example.com"}), "SAN"));
    EXPECT_TRUE(refused_on(check_sans(profile, {"email:bob@example.org"}), "SAN", "bob@"));
    EXPECT_TRUE(refused_on(check_sans(profile, {"otherName:1.2.3.4;UTF8:x"}), "SAN", "otherName"));
}

TEST(PolicySan, NoneAllowsNoSanAtAll) {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-nosan";
    cfg.allowed_san_types = std::vector<config::SanType>{};
    const CertificateProfile profile(cfg);
    EXPECT_TRUE(refused_on(check_sans(profile, {"DNS:a.example.com"}), "SAN", "none"));
    EXPECT_TRUE(accepted(profile.check(csr_for(test::make_ec_key().get(), laptop()))));
}

// ---- required attributes ---------------------------------------------------------

TEST(PolicyAttribute, MissingSerialIsRefused) {
    const CertificateProfile profile(wifi_profile());
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), laptop(""))),
                           "attribute", "deviceSerialNumber is required"));
}

TEST(PolicyAttribute, SerialInTheSubjectStaysInTheSubject) {
    const CertificateProfile profile(wifi_profile());
    auto tmpl =
        profile.certificate_template(csr_for(test::make_ec_key().get(), laptop()), 365 * 24h);
    ASSERT_TRUE(tmpl) << tmpl.error().message;
    EXPECT_EQ(pki::name_to_string(tmpl->subject.get()), "serialNumber=ABC123,CN=laptop-001");
}

TEST(PolicyAttribute, SerialAsAnAttributeIsAddedToTheSubject) {
    const CertificateProfile profile(wifi_profile());
    auto options = laptop("");
    options.text_attributes = {{"serialNumber", "SN-42"}};
    auto tmpl = profile.certificate_template(csr_for(test::make_ec_key().get(), options), 24h);
    ASSERT_TRUE(tmpl) << tmpl.error().message;
    EXPECT_EQ(pki::name_to_string(tmpl->subject.get()), "serialNumber=SN-42,CN=laptop-001");
}

TEST(PolicyAttribute, BadOrConflictingSerialsAreRefused) {
    const CertificateProfile profile(wifi_profile());
    auto conflicting = laptop("ABC123");
    conflicting.text_attributes = {{"serialNumber", "XYZ"}};
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), conflicting)),
                           "attribute", "differ"));
    auto starred = laptop("");
    starred.text_attributes = {{"serialNumber", "ab*c"}};
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), starred)), "attribute",
                           "1 to 64"));
    auto long_serial = laptop("");
    long_serial.text_attributes = {{"serialNumber", std::string(65, 'A')}};
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), long_serial)),
                           "attribute", "1 to 64"));
    auto twice = laptop("A1");
    twice.subject_entries.emplace_back("serialNumber", "A2");
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), twice)), "attribute",
                           "more than once"));
}

TEST(PolicyAttribute, SubjectEntriesCanBeRequired) {
    config::CertificateProfileConfig cfg;
    cfg.id = "cp-org";
    cfg.required_csr_attributes = {config::RequiredAttribute::organization};
    const CertificateProfile profile(cfg);
    EXPECT_TRUE(refused_on(profile.check(csr_for(test::make_ec_key().get(), laptop())), "attribute",
                           "organizationName is required"));
    auto options = laptop();
    options.subject_entries.emplace_back("O", "Example Corp");
    EXPECT_TRUE(accepted(profile.check(csr_for(test::make_ec_key().get(), options))));
}

// ---- other requested extensions --------------------------------------------------

Status check_extension(const CertificateProfile& profile, EVP_PKEY* key, const char* name,
                       const char* value) {
    auto options = laptop();
    options.extra_extensions = {{name, value}};
    return profile.check(csr_for(key, options));
}

TEST(PolicyExtension, ExtensionsBeyondTheProfileAreRefused) {
    const CertificateProfile profile(wifi_profile());
    auto key = test::make_ec_key();
    EXPECT_TRUE(refused_on(check_extension(profile, key.get(), "basicConstraints", "CA:TRUE"),
                           "extension", "CA certificate"));
    EXPECT_TRUE(refused_on(check_extension(profile, key.get(), "nsComment", "hello"), "extension",
                           "nsComment"));
    EXPECT_TRUE(refused_on(check_extension(profile, key.get(), "tlsfeature", "status_request"),
                           "extension", "must-staple"));
    EXPECT_TRUE(
        refused_on(check_extension(profile, key.get(), "keyUsage", "digitalSignature,keyCertSign"),
                   "key usage"));
    // keyEncipherment does not fit an EC key.
    EXPECT_TRUE(refused_on(check_extension(profile, key.get(), "keyUsage", "keyEncipherment"),
                           "key usage"));
}

TEST(PolicyExtension, HarmlessRequestsPass) {
    const CertificateProfile profile(wifi_profile());
    auto key = test::make_ec_key();
    EXPECT_TRUE(accepted(check_extension(profile, key.get(), "basicConstraints", "CA:FALSE")));
    EXPECT_TRUE(
        accepted(check_extension(profile, key.get(), "keyUsage", "digitalSignature,keyAgreement")));
    EXPECT_TRUE(accepted(check_extension(profile, key.get(), "subjectKeyIdentifier", "0102")));
    auto rsa = test::make_rsa_key(2048);
    EXPECT_TRUE(accepted(
        check_extension(profile, rsa.get(), "keyUsage", "digitalSignature,keyEncipherment")));

    auto staple = wifi_profile();
    staple.must_staple = true;
    EXPECT_TRUE(accepted(
        check_extension(CertificateProfile(staple), key.get(), "tlsfeature", "status_request")));
}

// ---- TTL ---------------------------------------------------------------------------

TEST(PolicyTtl, TheProfileMaximumCapsTheDefault) {
    const auto now = std::chrono::system_clock::now();
    const auto capped = validity_for(std::chrono::seconds(3600), 365 * 24h, now);
    EXPECT_EQ(capped.not_after - capped.not_before, std::chrono::seconds(3600));
    const auto uncapped = validity_for(std::nullopt, 24h, now);
    EXPECT_EQ(uncapped.not_after, now + 24h);
    EXPECT_EQ(uncapped.not_before, now - 5min);
    const auto shorter = validity_for(std::chrono::seconds(7 * 86400), 24h, now);
    EXPECT_EQ(shorter.not_after, now + 24h);
}

TEST(PolicyTtl, ALongerSpanIsRefusedOnTtl) {
    const auto now = std::chrono::system_clock::now();
    const Validity two_years{now, now + 2 * 365 * 24h};
    EXPECT_TRUE(
        refused_on(check_lifetime("cp-wifi-eap-tls", std::chrono::seconds(31536000), two_years),
                   "TTL", "maximum is 31536000"));
    EXPECT_TRUE(accepted(check_lifetime("cp-x", std::nullopt, two_years)));
    EXPECT_TRUE(accepted(check_lifetime("cp-x", std::chrono::seconds(3 * 31536000), two_years)));
}

// ---- what the certificate gets -----------------------------------------------------

struct Issued {
    pki::X509Ptr cert;
    std::string text;  // openssl x509 -text style, for extension checks
};

Issued issue(const CertificateProfile& profile, EVP_PKEY* key, const test::CsrOptions& options,
             const PublicationUrls& urls = {}) {
    static const auto ca_key = test::make_ec_key();
    static const auto ca = test::make_self_signed_ca("Policy Test CA", ca_key.get());
    auto tmpl = profile.certificate_template(csr_for(key, options), 2 * 365 * 24h);
    EXPECT_TRUE(tmpl) << tmpl.error().message;
    apply_publication_urls(urls, *tmpl);
    auto cert = pki::build_certificate(*tmpl, ca.get(), ca_key.get());
    EXPECT_TRUE(cert) << cert.error().message;
    pki::BioPtr bio(BIO_new(BIO_s_mem()));
    X509_print_ex(bio.get(), cert->get(), 0, 0);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return {std::move(*cert), std::string(data, static_cast<std::size_t>(length))};
}

TEST(PolicyCertificate, GetsExactlyTheProfilesEkusAndAFittingKeyUsage) {
    auto cfg = wifi_profile();
    cfg.allowed_ekus = std::vector<config::ExtendedKeyUsage>{
        kClientAuth, {"1.3.6.1.4.1.99999.7", "1.3.6.1.4.1.99999.7"}};
    const CertificateProfile profile(cfg);
    auto options = laptop();
    options.extra_extensions = {{"extendedKeyUsage", "clientAuth"}};
    const auto ec = issue(profile, test::make_ec_key().get(), options);
    EXPECT_NE(ec.text.find("TLS Web Client Authentication, 1.3.6.1.4.1.99999.7"), std::string::npos)
        << ec.text;
    EXPECT_EQ(ec.text.find("Server Authentication"), std::string::npos);
    EXPECT_NE(ec.text.find("Digital Signature, Key Agreement"), std::string::npos) << ec.text;

    const auto rsa = issue(profile, test::make_rsa_key(2048).get(), laptop());
    EXPECT_NE(rsa.text.find("Digital Signature, Key Encipherment"), std::string::npos);
}

TEST(PolicyCertificate, LifetimeWithinTheMaximumAndSerialInTheSubject) {
    const CertificateProfile profile(wifi_profile());
    const auto issued = issue(profile, test::make_ec_key().get(), laptop("ABC123"));
    const auto span = pki::not_after(issued.cert.get()) - pki::not_before(issued.cert.get());
    EXPECT_LE(span, std::chrono::seconds(31536000));
    EXPECT_GE(span, std::chrono::seconds(31536000 - 1));
    EXPECT_NE(pki::name_to_string(X509_get_subject_name(issued.cert.get())).find("ABC123"),
              std::string::npos);
    EXPECT_EQ(issued.text.find("TLS Feature"), std::string::npos);
}

TEST(PolicyCertificate, MustStapleAndPublicationUrls) {
    auto cfg = wifi_profile();
    cfg.must_staple = true;
    const auto urls = publication_urls("https://pki.example.com/", "iss-local");
    const auto issued = issue(CertificateProfile(cfg), test::make_ec_key().get(), laptop(), urls);
    EXPECT_NE(issued.text.find("TLS Feature"), std::string::npos) << issued.text;
    EXPECT_NE(issued.text.find("status_request"), std::string::npos);
    EXPECT_NE(issued.text.find("URI:https://pki.example.com/.well-known/pki/crls/iss-local.crl"),
              std::string::npos)
        << issued.text;
    EXPECT_NE(issued.text.find("OCSP - URI:https://pki.example.com/.well-known/pki/ocsp"),
              std::string::npos);
    EXPECT_NE(issued.text.find(
                  "CA Issuers - URI:https://pki.example.com/.well-known/pki/certs/iss-local.crt"),
              std::string::npos);
}

TEST(PolicyCertificate, NoBaseUrlMeansNoUrls) {
    const auto urls = publication_urls("", "iss-local");
    EXPECT_TRUE(urls.crl_distribution_points.empty());
    EXPECT_TRUE(urls.ocsp.empty());
    EXPECT_TRUE(urls.ca_issuers.empty());
}

}  // namespace
}  // namespace estd::policy
