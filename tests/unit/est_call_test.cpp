// EstService driven by EstCall values alone: no request, no response, no
// socket. The peer is a PeerIdentity made here, so the channel-binding gate
// runs on a value, not on a connection.
#include "estd/est/est_call.hpp"

#include <string>

#include <gtest/gtest.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/audit/counters.hpp"
#include "estd/est/est_service.hpp"
#include "estd/est/multipart.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/pkcs7.hpp"
#include "support/est_service_parts.hpp"
#include "support/test_pki.hpp"

namespace estd::est {
namespace {

// The audit record's status of an error, which the edge would lend: a
// stand-in, so that nothing of HTTP is linked here.
unsigned status_of(ErrorKind kind) {
    return kind == ErrorKind::unauthorized ? 401 : 400;
}

// The one certificate of a base64 certs-only body; null when it holds
// anything else.
pki::X509Ptr only_certificate(const std::string& body) {
    const auto der = pki::base64_decode_lenient(body);
    if (!der) {
        return nullptr;
    }
    auto certs = pki::parse_certs_only_der(*der);
    if (!certs || certs->size() != 1) {
        return nullptr;
    }
    return std::move(certs->front());
}

class EstCallTest : public ::testing::Test {
  protected:
    void SetUp() override {
        issuer_ = test::local_issuer(dir_, ca_.get(), ca_key_.get());
        ASSERT_NE(issuer_, nullptr);

        std::vector<EstProfile> profiles;
        profiles.push_back(profile("open", [](auto&) {}));
        profiles.push_back(profile("corp", [](auto& c) {
            c.auth_basic = true;
            c.enrollment_password = "corp-password";
        }));
        profiles.push_back(profile("bound", [](auto& c) { c.channel_binding_required = true; }));
        profiles.push_back(profile("keys", [](auto& c) {
            c.serverkeygen_enabled = true;
            c.serverkeygen_key_encryption = config::ServerKeygenEncryption::none;
        }));
        counters_ = std::make_unique<audit::ProfileCounters>(
            std::vector<std::string>{"open", "corp", "bound", "keys"});
        service_ = std::make_unique<EstService>(std::move(profiles), sink_, *counters_,
                                                std::chrono::hours(24), status_of);
        // A TLS 1.3 peer as the session would read it, made by hand.
        peer_.address = "192.0.2.20";
        peer_.tls_version = TLS1_3_VERSION;
        peer_.tls_version_name = "TLSv1.3";
        peer_.channel_binding = pki::Bytes(pki::kExporterLength, 0x5a);
    }

    template <class Edit>
    EstProfile profile(const std::string& name, Edit edit) {
        return test::est_profile(name, *issuer_, edit);
    }

    std::string csr_body(std::optional<std::string> challenge_password = std::nullopt) {
        test::CsrOptions options;
        options.common_name = "device-7";
        options.challenge_password = std::move(challenge_password);
        return pki::base64_encode_lines(test::make_csr(key_.get(), options));
    }

    Result<EstAnswer> call(const std::string& profile, Operation op, std::string_view body = {},
                           std::string_view authorization = {}, std::string_view user_agent = {},
                           RouteFamily family = RouteFamily::est) {
        return service_->handle(EstCall{{family, profile, op},
                                        body,
                                        authorization,
                                        user_agent,
                                        peer_,
                                        RequestContext{"call-1", peer_.address}});
    }

    test::TempDir dir_;
    pki::EvpPkeyPtr ca_key_ = test::make_ec_key();
    pki::X509Ptr ca_ = test::make_self_signed_ca("Call Test CA", ca_key_.get());
    pki::EvpPkeyPtr key_ = test::make_ec_key();
    std::unique_ptr<issuer::LocalIssuer> issuer_;
    test::RecordingSink sink_;
    std::unique_ptr<audit::ProfileCounters> counters_;
    std::unique_ptr<EstService> service_;
    pki::PeerIdentity peer_;
};

TEST_F(EstCallTest, CacertsIsTheCaChainInTheClientsLayout) {
    const auto strongswan = call("open", Operation::cacerts, {}, {}, "strongSwan pki 5.9");
    ASSERT_TRUE(strongswan) << strongswan.error().message;
    EXPECT_EQ(strongswan->content, EstContent::certs_only);
    EXPECT_EQ(strongswan->body.find('\n'), std::string::npos);
    const auto ca = only_certificate(strongswan->body);
    ASSERT_NE(ca, nullptr);
    EXPECT_EQ(X509_cmp(ca.get(), ca_.get()), 0);

    const auto libest = call("open", Operation::cacerts, {}, {}, "libest 3.2.0");
    ASSERT_TRUE(libest);
    EXPECT_NE(libest->body.find('\n'), std::string::npos);
}

TEST_F(EstCallTest, AnEnrollmentAnswersTheCertificate) {
    const std::string body = csr_body();
    const auto answer = call("open", Operation::simpleenroll, body);
    ASSERT_TRUE(answer) << answer.error().message;
    EXPECT_EQ(answer->content, EstContent::certs_only);
    const auto issued = only_certificate(answer->body);
    ASSERT_NE(issued, nullptr);
    EXPECT_EQ(X509_check_private_key(issued.get(), key_.get()), 1);
    ASSERT_FALSE(sink_.events.empty());
    EXPECT_EQ(sink_.events.back().action, audit::codes::kSimpleEnrollSuccess);
    EXPECT_EQ(sink_.events.back().request_id, "call-1");
    EXPECT_EQ(sink_.events.back().source_ip, "192.0.2.20");
}

TEST_F(EstCallTest, TheBasicGateReadsTheCallsAuthorization) {
    const std::string body = csr_body();
    const auto refused = call("corp", Operation::simpleenroll, body);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::unauthorized);
    EXPECT_EQ(refused.error().audit_code, audit::codes::kAuthFailedBasic);
    const std::string raw = "device:corp-password";
    const auto accepted =
        call("corp", Operation::simpleenroll, body,
             "Basic " + pki::base64_encode_single_line(pki::Bytes(raw.begin(), raw.end())));
    EXPECT_TRUE(accepted) << accepted.error().message;
}

TEST_F(EstCallTest, ChannelBindingIsCheckedAgainstThePeerIdentity) {
    const auto bound = call("bound", Operation::simpleenroll,
                            csr_body(pki::base64_encode_single_line(peer_.channel_binding)));
    EXPECT_TRUE(bound) << bound.error().message;
    const auto other =
        call("bound", Operation::simpleenroll,
             csr_body(pki::base64_encode_single_line(pki::Bytes(pki::kExporterLength, 0x11))));
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().kind, ErrorKind::conflict);
    const auto missing = call("bound", Operation::simpleenroll, csr_body());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::bad_request);

    const auto attrs = call("bound", Operation::csrattrs);
    ASSERT_TRUE(attrs) << attrs.error().message;
    EXPECT_EQ(attrs->content, EstContent::csrattrs);
    EXPECT_FALSE(attrs->body.empty());
}

TEST_F(EstCallTest, ServerkeygenAnswersTheMultipartWhereEnabled) {
    const std::string body = csr_body();
    const auto answer = call("keys", Operation::serverkeygen, body);
    ASSERT_TRUE(answer) << answer.error().message;
    EXPECT_EQ(answer->content, EstContent::serverkeygen);
    EXPECT_NE(answer->body.find(kMultipartBoundary), std::string::npos);
    const auto disabled = call("open", Operation::serverkeygen, body);
    ASSERT_FALSE(disabled);
    EXPECT_EQ(disabled.error().kind, ErrorKind::not_found);
}

TEST_F(EstCallTest, AnUnknownProfileOrAClosedMtlsRouteIsA404Value) {
    const auto unknown = call("nosuch", Operation::cacerts);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().kind, ErrorKind::not_found);
    EXPECT_NE(unknown.error().message.find("no EST profile named \"nosuch\""), std::string::npos);
    const auto mtls = call("open", Operation::cacerts, {}, {}, {}, RouteFamily::est_mtls);
    ASSERT_FALSE(mtls);
    EXPECT_EQ(mtls.error().kind, ErrorKind::not_found);
    EXPECT_NE(mtls.error().message.find("no est-mtls route"), std::string::npos);
    EXPECT_FALSE(service_->serving_profile({RouteFamily::est, "nosuch", Operation::cacerts}));
    const auto open = service_->serving_profile({RouteFamily::est, "open", Operation::cacerts});
    ASSERT_TRUE(open);
    EXPECT_EQ((*open)->name(), "open");
}

TEST(EstOperationTest, OnlyCacertsAndCsrattrsTakeNoBody) {
    EXPECT_FALSE(operation_takes_body(Operation::cacerts));
    EXPECT_FALSE(operation_takes_body(Operation::csrattrs));
    EXPECT_TRUE(operation_takes_body(Operation::simpleenroll));
    EXPECT_TRUE(operation_takes_body(Operation::simplereenroll));
    EXPECT_TRUE(operation_takes_body(Operation::serverkeygen));
    EXPECT_TRUE(operation_takes_body(Operation::fullcmc));
}

}  // namespace
}  // namespace estd::est
