// The chain verifier's verdicts: a list of statuses, never an HTTP answer.

#include <vector>

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include "estd/pki/chain_verifier.hpp"
#include "support/test_pki.hpp"

namespace estd::pki {
namespace {

struct Ca {
    EvpPkeyPtr key = test::make_ec_key();
    X509Ptr cert;
    explicit Ca(const std::string& name) : cert(test::make_self_signed_ca(name, key.get())) {}

    X509Ptr client(const std::string& cn, test::CaOptions options = {},
                   EVP_PKEY* signing_key = nullptr) const {
        auto client_key = test::make_ec_key();
        options.ca = false;
        return test::make_certificate(cn, client_key.get(), cert.get(),
                                      signing_key != nullptr ? signing_key : key.get(), options);
    }
};

ChainVerifier verifier_of(const Ca& ca) {
    std::vector<X509Ptr> anchors;
    anchors.push_back(share(ca.cert.get()));
    auto verifier = ChainVerifier::from_certificates(std::move(anchors));
    if (!verifier) {
        throw std::runtime_error(verifier.error().message);
    }
    return std::move(*verifier);
}

CertificateStatus first_status(const ChainVerdict& verdict) {
    return verdict.problems().empty() ? CertificateStatus::other : verdict.problems()[0].status;
}

TEST(ChainVerifierTest, AClientOfTheAnchorVerifies) {
    const Ca ca("client CA");
    const auto verdict = verifier_of(ca).verify(ca.client("device").get(), nullptr);
    EXPECT_TRUE(verdict);
    EXPECT_TRUE(verdict.problems().empty());
}

TEST(ChainVerifierTest, NothingPresentedIsNoCertificate) {
    const Ca ca("client CA");
    const auto verdict = verifier_of(ca).verify(nullptr, nullptr);
    ASSERT_FALSE(verdict);
    EXPECT_EQ(first_status(verdict), CertificateStatus::no_certificate);
}

TEST(ChainVerifierTest, ACaCertificateIsNoClient) {
    const Ca ca("client CA");
    const auto verdict = verifier_of(ca).verify(ca.cert.get(), nullptr);
    ASSERT_EQ(verdict.problems().size(), 1u);
    EXPECT_EQ(first_status(verdict), CertificateStatus::ca_certificate);
}

TEST(ChainVerifierTest, AnotherCasClientIsUntrustedInOpenSslsWords) {
    const Ca ca("client CA");
    const Ca other("other CA");
    const auto verdict = verifier_of(ca).verify(other.client("stranger").get(), nullptr);
    ASSERT_FALSE(verdict);
    EXPECT_EQ(first_status(verdict), CertificateStatus::untrusted);
    EXPECT_EQ(verdict.problems()[0].depth, 0);
    EXPECT_EQ(verdict.problems()[0].detail, "unable to get local issuer certificate");
}

TEST(ChainVerifierTest, TimesAreExpiredAndNotYetValid) {
    const Ca ca("client CA");
    const auto verifier = verifier_of(ca);
    test::CaOptions past;
    past.not_before_offset = std::chrono::hours(-48);
    past.lifetime = std::chrono::hours(24);
    const auto expired = verifier.verify(ca.client("old", past).get(), nullptr);
    EXPECT_EQ(first_status(expired), CertificateStatus::expired);
    EXPECT_EQ(expired.problems()[0].detail, "certificate has expired");

    test::CaOptions future;
    future.not_before_offset = std::chrono::hours(24);
    const auto early = verifier.verify(ca.client("early", future).get(), nullptr);
    EXPECT_EQ(first_status(early), CertificateStatus::not_yet_valid);
}

TEST(ChainVerifierTest, ASignatureByAnotherKeyIsASignatureFailure) {
    const Ca ca("client CA");
    const auto impostor_key = test::make_ec_key();
    const auto forged = ca.client("forged", {}, impostor_key.get());
    const auto verdict = verifier_of(ca).verify(forged.get(), nullptr);
    EXPECT_TRUE(verdict.has(CertificateStatus::signature_failure));
}

TEST(ChainVerifierTest, EveryProblemIsListedTheStoppingOneFirst) {
    const Ca ca("client CA");
    const Ca other("other CA");
    test::CaOptions past;
    past.not_before_offset = std::chrono::hours(-48);
    past.lifetime = std::chrono::hours(24);
    const auto verdict = verifier_of(ca).verify(other.client("old stranger", past).get(), nullptr);
    ASSERT_GE(verdict.problems().size(), 2u);
    EXPECT_EQ(first_status(verdict), CertificateStatus::untrusted);
    EXPECT_TRUE(verdict.has(CertificateStatus::expired));
}

TEST(ChainVerifierTest, OpenSslCodesMapToStatuses) {
    EXPECT_EQ(certificate_status(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
              CertificateStatus::untrusted);
    EXPECT_EQ(certificate_status(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT),
              CertificateStatus::untrusted);
    EXPECT_EQ(certificate_status(X509_V_ERR_CERT_HAS_EXPIRED), CertificateStatus::expired);
    EXPECT_EQ(certificate_status(X509_V_ERR_CERT_NOT_YET_VALID), CertificateStatus::not_yet_valid);
    EXPECT_EQ(certificate_status(X509_V_ERR_CERT_SIGNATURE_FAILURE),
              CertificateStatus::signature_failure);
    EXPECT_EQ(certificate_status(X509_V_ERR_INVALID_PURPOSE), CertificateStatus::wrong_purpose);
    EXPECT_EQ(certificate_status(X509_V_ERR_INVALID_CA), CertificateStatus::invalid_ca);
    EXPECT_EQ(certificate_status(X509_V_ERR_PATH_LENGTH_EXCEEDED),
              CertificateStatus::chain_too_long);
    EXPECT_EQ(certificate_status(X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION),
              CertificateStatus::unknown_critical_extension);
    EXPECT_EQ(certificate_status(X509_V_ERR_EXCLUDED_VIOLATION),
              CertificateStatus::name_constraint_violation);
    EXPECT_EQ(certificate_status(X509_V_ERR_CA_MD_TOO_WEAK), CertificateStatus::too_weak);
    EXPECT_EQ(certificate_status(X509_V_ERR_CERT_REVOKED), CertificateStatus::revoked);
    EXPECT_EQ(certificate_status(X509_V_ERR_UNSPECIFIED), CertificateStatus::other);
}

}  // namespace
}  // namespace estd::pki
