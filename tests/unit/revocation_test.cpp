// CRLs (content, numbering across restarts) and the OCSP responder's status
// mapping, against the real store and a CA made in-process; a CRL from a
// fake ledger alone; finding at boot an issuer that cannot sign CRLs.
#include <thread>

#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/crl.hpp"
#include "estd/revocation/crl_publisher.hpp"
#include "estd/revocation/ocsp_responder.hpp"
#include "estd/store/sqlite_store.hpp"
#include "support/test_pki.hpp"

namespace estd::revocation {
namespace {

using namespace std::chrono_literals;
using CrlPtr = pki::OpenSslPtr<X509_CRL, X509_CRL_free>;
using OcspResponsePtr = pki::OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using BasicPtr = pki::OpenSslPtr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using CertIdPtr = pki::OpenSslPtr<OCSP_CERTID, OCSP_CERTID_free>;

class TestIssuer final : public issuer::Issuer, public issuer::CrlSigner {
  public:
    TestIssuer(std::string id, const std::string& cn) : id_(std::move(id)) {
        key_ = test::make_ec_key();
        chain_.push_back(test::make_self_signed_ca(cn, key_.get()));
    }
    const std::string& id() const override { return id_; }
    const std::vector<pki::X509Ptr>& chain() const override { return chain_; }
    Result<pki::X509Ptr> issue(pki::CertificateTemplate) override {
        return Error::internal("not used");
    }
    bool ready() const override { return true; }
    Status with_signing_key(const KeyUse& use) override { return use(key_.get()); }
    EVP_PKEY* key() const { return key_.get(); }

  private:
    std::string id_;
    pki::EvpPkeyPtr key_;
    std::vector<pki::X509Ptr> chain_;
};

issuer::CrlSigningIssuer signing(TestIssuer& issuer) {
    return issuer::CrlSigningIssuer(issuer, issuer);
}

store::CertificateRecord record_of(X509* cert, const std::string& issuer_id) {
    store::CertificateRecord r;
    r.issuer_id = issuer_id;
    r.serial = pki::serial_hex(cert);
    r.fingerprint = "fp-" + r.serial;
    r.common_name = pki::common_name(X509_get_subject_name(cert));
    r.not_before = pki::not_before(cert);
    r.not_after = pki::not_after(cert);
    r.issued_at = std::chrono::system_clock::now();
    r.der = pki::certificate_der(cert);
    return r;
}

CrlPtr parse_crl(const pki::Bytes& der) {
    const unsigned char* p = der.data();
    return CrlPtr(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
}

long crl_number(X509_CRL* crl) {
    pki::Asn1IntegerPtr number(
        static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
    return number ? ASN1_INTEGER_get(number.get()) : -1;
}

class RevocationTest : public ::testing::Test {
  protected:
    void SetUp() override {
        reopen();
        leaf_key = test::make_ec_key();
        test::CaOptions options;
        options.ca = false;
        good =
            test::make_certificate("good", leaf_key.get(), ca.ca_certificate(), ca.key(), options);
        revoked = test::make_certificate("revoked", leaf_key.get(), ca.ca_certificate(), ca.key(),
                                         options);
        stranger = test::make_certificate("stranger", leaf_key.get(), ca.ca_certificate(), ca.key(),
                                          options);
        ASSERT_TRUE(store->add_certificate(record_of(good.get(), ca.id())));
        ASSERT_TRUE(store->add_certificate(record_of(revoked.get(), ca.id())));
        store::RevocationRequest request;
        request.criteria.serials = {pki::serial_hex(revoked.get())};
        request.reason = 1;
        request.actor = "ops";
        request.revoked_at = std::chrono::system_clock::now() - 1min;
        auto done = store->revoke(request);
        ASSERT_TRUE(done);
        ASSERT_EQ(done->size(), 1U);
    }
    void reopen() {
        store.reset();
        auto opened = store::open_sqlite_store(dir.path() / "estd.db");
        ASSERT_TRUE(opened) << opened.error().message;
        store = std::move(*opened);
    }

    // The status OCSP gives for `cert`; the signature is verified against
    // the issuing CA.
    int ocsp_status(X509* cert, X509* issuer_cert, int* reason = nullptr) {
        OcspResponder responder({signing(ca), signing(other)}, *store, 1h);
        pki::OpenSslPtr<OCSP_REQUEST, OCSP_REQUEST_free> request(OCSP_REQUEST_new());
        OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), cert, issuer_cert);
        OCSP_request_add0_id(request.get(), id);
        OCSP_request_add1_nonce(request.get(), nullptr, -1);
        unsigned char* raw = nullptr;
        const int length = i2d_OCSP_REQUEST(request.get(), &raw);
        pki::Bytes der(raw, raw + length);
        OPENSSL_free(raw);
        const auto answer = responder.respond(der);
        const unsigned char* p = answer.data();
        OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(answer.size())));
        if (!response) {
            return -100;
        }
        const int response_status = OCSP_response_status(response.get());
        if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
            return -response_status;
        }
        BasicPtr basic(OCSP_response_get1_basic(response.get()));
        EXPECT_EQ(OCSP_check_nonce(request.get(), basic.get()), 1);
        pki::X509StorePtr trust(X509_STORE_new());
        X509_STORE_add_cert(trust.get(), issuer_cert);
        EXPECT_EQ(OCSP_basic_verify(basic.get(), nullptr, trust.get(), 0), 1);
        int status = -1;
        int why = -1;
        CertIdPtr lookup(OCSP_cert_to_id(EVP_sha1(), cert, issuer_cert));
        EXPECT_EQ(OCSP_resp_find_status(basic.get(), lookup.get(), &status, &why, nullptr, nullptr,
                                        nullptr),
                  1);
        if (reason != nullptr) {
            *reason = why;
        }
        return status;
    }

    test::TempDir dir;
    std::unique_ptr<store::Store> store;
    TestIssuer ca{"iss-test", "Revocation Test CA"};
    TestIssuer other{"iss-other", "Other CA"};
    pki::EvpPkeyPtr leaf_key;
    pki::X509Ptr good;
    pki::X509Ptr revoked;
    pki::X509Ptr stranger;
};

TEST_F(RevocationTest, CrlListsRevokedSerialsWithReasonAndVerifies) {
    CrlPublisher crls({signing(ca)}, *store, 1h);
    ASSERT_TRUE(crls.regenerate(ca.id()));
    auto der = crls.crl(ca.id());
    ASSERT_TRUE(der);
    auto crl = parse_crl(*der);
    ASSERT_TRUE(crl);
    EXPECT_EQ(X509_CRL_verify(crl.get(), ca.key()), 1);
    EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 1);
    X509_REVOKED* entry = nullptr;
    ASSERT_EQ(X509_CRL_get0_by_serial(crl.get(), &entry, X509_get_serialNumber(revoked.get())), 1);
    pki::OpenSslPtr<ASN1_ENUMERATED, ASN1_ENUMERATED_free> reason(static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr)));
    ASSERT_TRUE(reason);
    EXPECT_EQ(ASN1_ENUMERATED_get(reason.get()), 1);
    EXPECT_EQ(X509_CRL_get0_by_serial(crl.get(), &entry, X509_get_serialNumber(good.get())), 0);
    EXPECT_FALSE(crls.crl("nosuch"));
}

TEST_F(RevocationTest, CrlNumberOnlyGrowsAcrossRestarts) {
    long last = 0;
    for (int restart = 0; restart < 3; ++restart) {
        CrlPublisher crls({signing(ca)}, *store, 1h);
        for (int i = 0; i < 2; ++i) {
            ASSERT_TRUE(crls.regenerate(ca.id()));
            const long number = crl_number(parse_crl(*crls.crl(ca.id())).get());
            EXPECT_GT(number, last);
            last = number;
        }
        reopen();
    }
    EXPECT_EQ(last, 6);
}

// Two publishers on one store stand for two estd sharing a database: a
// revocation only one of them was told about reaches the other's CRL at its
// next check, not at its next hourly rebuild.
TEST_F(RevocationTest, ARevocationRecordedElsewhereIsOnTheCrlAtTheNextCheck) {
    CrlPublisher here({signing(ca)}, *store, 1h, 50ms);
    here.start();
    const auto listed = [&](X509* cert) {
        X509_REVOKED* entry = nullptr;
        auto crl = parse_crl(*here.crl(ca.id()));
        return X509_CRL_get0_by_serial(crl.get(), &entry, X509_get_serialNumber(cert)) == 1;
    };
    ASSERT_TRUE(listed(revoked.get()));
    ASSERT_FALSE(listed(good.get()));
    const long first = crl_number(parse_crl(*here.crl(ca.id())).get());

    store::RevocationRequest elsewhere;
    elsewhere.criteria.serials = {pki::serial_hex(good.get())};
    elsewhere.reason = 4;
    elsewhere.actor = "ops-on-another-estd";
    elsewhere.revoked_at = std::chrono::system_clock::now();
    ASSERT_TRUE(store->revoke(elsewhere));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!listed(good.get()) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(listed(good.get()));
    // Rebuilt once, not at every check.
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(crl_number(parse_crl(*here.crl(ca.id())).get()), first + 1);
    here.stop();
}

TEST(OcspMapping, StoreRecordsBecomeOcspStatuses) {
    EXPECT_EQ(ocsp_answer_for(std::nullopt).status, pki::OcspCertStatus::unknown);
    store::CertificateRecord record;
    EXPECT_EQ(ocsp_answer_for(record).status, pki::OcspCertStatus::good);
    record.not_after = std::chrono::system_clock::now() - 24h;  // expired is still good
    EXPECT_EQ(ocsp_answer_for(record).status, pki::OcspCertStatus::good);
    const auto when = std::chrono::system_clock::now() - 1h;
    record.revocation = store::Revocation{4, when, "ops"};
    const auto answer = ocsp_answer_for(record);
    EXPECT_EQ(answer.status, pki::OcspCertStatus::revoked);
    EXPECT_EQ(answer.reason, 4);
    EXPECT_EQ(answer.revoked_at, when);
}

TEST_F(RevocationTest, OcspAnswersGoodRevokedAndUnknownSignedByTheIssuer) {
    EXPECT_EQ(ocsp_status(good.get(), ca.ca_certificate()), V_OCSP_CERTSTATUS_GOOD);
    int reason = -1;
    EXPECT_EQ(ocsp_status(revoked.get(), ca.ca_certificate(), &reason), V_OCSP_CERTSTATUS_REVOKED);
    EXPECT_EQ(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
    EXPECT_EQ(ocsp_status(stranger.get(), ca.ca_certificate()), V_OCSP_CERTSTATUS_UNKNOWN);
}

TEST_F(RevocationTest, OcspRefusesForeignIssuersAndGarbage) {
    TestIssuer foreign{"iss-foreign", "Foreign CA"};
    EXPECT_EQ(ocsp_status(good.get(), foreign.ca_certificate()),
              -OCSP_RESPONSE_STATUS_UNAUTHORIZED);
    OcspResponder responder({signing(ca)}, *store, 1h);
    const auto answer = responder.respond(pki::Bytes{0x30, 0x01, 0x00});
    const unsigned char* p = answer.data();
    OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(answer.size())));
    ASSERT_TRUE(response);
    EXPECT_EQ(OCSP_response_status(response.get()), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
}

// A ledger without a database: the revocations it was given, numbers from 41.
class FakeLedger final : public store::RevocationLedger {
  public:
    Result<std::vector<store::RevokedCertificate>> revoke(
        const store::RevocationRequest&) override {
        return Error::internal("not used");
    }
    Result<std::vector<store::CrlEntry>> crl_entries(const std::string& issuer_id,
                                                     store::TimePoint) override {
        asked.push_back(issuer_id);
        return entries;
    }
    Result<std::uint64_t> revoked_count(const std::string&) override { return entries.size(); }
    Result<std::uint64_t> next_crl_number(const std::string&) override { return ++number; }

    std::vector<store::CrlEntry> entries;
    std::vector<std::string> asked;
    std::uint64_t number = 40;
};

TEST(CrlFromALedger, TheCrlListsWhatTheLedgerSaysWithItsNumbers) {
    TestIssuer ca{"iss-ledger", "Ledger CA"};
    FakeLedger ledger;
    const auto revoked_at = std::chrono::system_clock::now() - 1h;
    ledger.entries = {{"0a1b2c", revoked_at, 1}, {"3d4e", revoked_at, 4}};
    CrlPublisher crls({signing(ca)}, ledger, 1h);
    ASSERT_TRUE(crls.regenerate(ca.id()));
    ASSERT_TRUE(crls.regenerate(ca.id()));
    auto crl = parse_crl(*crls.crl(ca.id()));
    ASSERT_TRUE(crl);
    EXPECT_EQ(X509_CRL_verify(crl.get(), ca.key()), 1);
    EXPECT_EQ(crl_number(crl.get()), 42);
    EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 2);
    EXPECT_EQ(ledger.asked, (std::vector<std::string>{"iss-ledger", "iss-ledger"}));
    EXPECT_FALSE(crls.regenerate("iss-unknown"));
}

// An issuer backend that only issues.
class IssueOnlyIssuer final : public issuer::Issuer {
  public:
    IssueOnlyIssuer() {
        key_ = test::make_ec_key();
        chain_.push_back(test::make_self_signed_ca("Issue Only CA", key_.get()));
    }
    const std::string& id() const override { return id_; }
    const std::vector<pki::X509Ptr>& chain() const override { return chain_; }
    Result<pki::X509Ptr> issue(pki::CertificateTemplate) override {
        return Error::internal("not used");
    }
    bool ready() const override { return true; }

  private:
    std::string id_ = "iss-issue-only";
    pki::EvpPkeyPtr key_;
    std::vector<pki::X509Ptr> chain_;
};

TEST(CrlSigning, AnIssuerThatCannotSignCrlsIsKnownBeforeAnyCrl) {
    IssueOnlyIssuer issue_only;
    auto refused = issuer::crl_signing(issue_only);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "issuer iss-issue-only cannot sign CRLs or OCSP responses");

    TestIssuer ca{"iss-signs", "Signing CA"};
    auto found = issuer::crl_signing(ca);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->id(), "iss-signs");
    EXPECT_EQ(found->ca_certificate(), ca.ca_certificate());
}

TEST(CrlReasons, RoundTrip) {
    EXPECT_EQ(pki::parse_crl_reason("keyCompromise"), 1);
    EXPECT_EQ(pki::parse_crl_reason("cessationOfOperation"), 5);
    EXPECT_FALSE(pki::parse_crl_reason("removeFromCRL"));
    EXPECT_FALSE(pki::parse_crl_reason("KeyCompromise"));
    EXPECT_EQ(pki::crl_reason_name(9), "privilegeWithdrawn");
}

}  // namespace
}  // namespace estd::revocation
