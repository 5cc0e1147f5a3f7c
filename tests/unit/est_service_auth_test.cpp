// EstService with real profiles and a local issuer, requests without a
// socket through the router: which gate answers what, and that two profiles
// never share a counter, a lockout or a rate-limit count.
#include <map>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/audit/counters.hpp"
#include "estd/est/est_service.hpp"
#include "estd/http/error_status.hpp"
#include "estd/http/router.hpp"
#include "estd/issuer/local_issuer.hpp"
#include "estd/net/peer_identity.hpp"
#include "estd/pki/base64.hpp"
#include "support/est_service_parts.hpp"
#include "support/test_pki.hpp"

namespace estd::est {
namespace {

namespace beast_http = boost::beast::http;
namespace codes = audit::codes;

std::string basic(const std::string& password) {
    const std::string raw = "device:" + password;
    std::string encoded = pki::base64_encode_lines(pki::Bytes(raw.begin(), raw.end()));
    std::erase(encoded, '\n');
    return "Basic " + encoded;
}

using SslCtxPtr = pki::OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = pki::OpenSslPtr<SSL, SSL_free>;

// One TLS 1.3 connection over a BIO pair on which the client presented
// `client_cert`: what a renewal arrives on.
class ClientCertConnection {
  public:
    ClientCertConnection(X509* client_cert, EVP_PKEY* client_key) {
        test::CaOptions leaf;
        leaf.ca = false;
        server_cert_ = test::make_certificate("server", server_key_.get(), nullptr, nullptr, leaf);
        SSL_CTX_use_certificate(server_ctx_.get(), server_cert_.get());
        SSL_CTX_use_PrivateKey(server_ctx_.get(), server_key_.get());
        // As estd's listener: any certificate; the handler decides.
        SSL_CTX_set_verify(server_ctx_.get(), SSL_VERIFY_PEER,
                           [](int, X509_STORE_CTX*) { return 1; });
        SSL_CTX_use_certificate(client_ctx_.get(), client_cert);
        SSL_CTX_use_PrivateKey(client_ctx_.get(), client_key);
        // SSL_new copies what its context holds now.
        server_.reset(SSL_new(server_ctx_.get()));
        client_.reset(SSL_new(client_ctx_.get()));
        BIO* server_bio = nullptr;
        BIO* client_bio = nullptr;
        EXPECT_EQ(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0), 1);
        SSL_set_bio(server_.get(), server_bio, server_bio);
        SSL_set_bio(client_.get(), client_bio, client_bio);
        SSL_set_accept_state(server_.get());
        SSL_set_connect_state(client_.get());
        bool client_done = false;
        bool server_done = false;
        for (int round = 0; round < 100 && !(client_done && server_done); ++round) {
            client_done = client_done || SSL_do_handshake(client_.get()) == 1;
            server_done = server_done || SSL_do_handshake(server_.get()) == 1;
        }
        EXPECT_TRUE(client_done && server_done);
        EXPECT_NE(SSL_get0_peer_certificate(server_.get()), nullptr);
    }
    // The server's view of the connection, as the session reads it.
    pki::PeerIdentity peer(const std::string& address) const {
        return net::read_peer_identity(server_.get(), address);
    }

  private:
    pki::EvpPkeyPtr server_key_ = test::make_ec_key();
    pki::X509Ptr server_cert_;
    SslCtxPtr server_ctx_{SSL_CTX_new(TLS_server_method())};
    SslCtxPtr client_ctx_{SSL_CTX_new(TLS_client_method())};
    SslPtr server_;
    SslPtr client_;
};

class EstServiceAuthTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ca_key_ = test::make_ec_key();
        ca_ = test::make_self_signed_ca("Service Test CA", ca_key_.get());
        issuer_ = test::local_issuer(dir_, ca_.get(), ca_key_.get());
        ASSERT_NE(issuer_, nullptr);

        std::vector<EstProfile> profiles;
        profiles.push_back(profile("corp", [](auto& c) {
            c.auth_basic = true;
            c.enrollment_password = "corp-password";
        }));
        profiles.push_back(profile("iot", [](auto& c) {
            c.auth_basic = true;
            c.enrollment_password = "corp-password";  // same secret: still separate state
        }));
        profiles.push_back(profile("fleet", [&](auto& c) {
            c.mtls_enabled = true;
            c.auth_mtls = true;
            c.mtls_trust_bundle_path = dir_.path() / "ca.crt";
        }));
        profiles.push_back(profile("capped", [](auto& c) { c.rate_limit_per_principal_24h = 2; }));
        counters_ = std::make_unique<audit::ProfileCounters>(
            std::vector<std::string>{"corp", "iot", "fleet", "capped"});
        service_ = std::make_unique<EstService>(std::move(profiles), sink_, *counters_,
                                                std::chrono::hours(24), http::status_of);
    }

    template <class Edit>
    EstProfile profile(const std::string& name, Edit edit) {
        return test::est_profile(name, *issuer_, edit);
    }

    std::string csr_body(const std::string& cn) {
        const auto key = test::make_ec_key();
        return pki::base64_encode_lines(test::make_csr(key.get(), cn));
    }

    net::Response call(beast_http::verb verb, const std::string& target,
                       const std::string& authorization = {},
                       const std::string& client_ip = "192.0.2.10",
                       const std::string& cn = "device-1") {
        net::Request req{verb, target, 11};
        if (!authorization.empty()) {
            req.set(beast_http::field::authorization, authorization);
        }
        if (verb == beast_http::verb::post) {
            req.set(beast_http::field::content_type, "application/pkcs10");
            req.body() = csr_body(cn);
        }
        req.prepare_payload();
        pki::PeerIdentity peer;
        peer.address = client_ip;
        return http::Router(*service_, [] { return Status{Ok{}}; }).handle(req, peer);
    }
    net::Response enroll(const std::string& profile, const std::string& authorization,
                         const std::string& client_ip = "192.0.2.10",
                         const std::string& cn = "device-1") {
        return call(beast_http::verb::post, "/.well-known/est/" + profile + "/simpleenroll",
                    authorization, client_ip, cn);
    }

    std::uint64_t count(const std::string& profile, std::string_view code) const {
        return counters_->value(profile, code);
    }

    test::TempDir dir_;
    pki::EvpPkeyPtr ca_key_;
    pki::X509Ptr ca_;
    std::unique_ptr<issuer::LocalIssuer> issuer_;
    test::RecordingSink sink_;
    std::unique_ptr<audit::ProfileCounters> counters_;
    std::unique_ptr<EstService> service_;
};

TEST_F(EstServiceAuthTest, BasicGateAnswers401WithAChallengeAndLeavesCacertsOpen) {
    auto res = enroll("corp", "");
    EXPECT_EQ(res.result_int(), 401u);
    EXPECT_EQ(res[beast_http::field::www_authenticate], "Basic realm=\"estd\"");
    res = enroll("corp", basic("wrong"));
    EXPECT_EQ(res.result_int(), 401u);
    EXPECT_EQ(res[beast_http::field::www_authenticate], "Basic realm=\"estd\"");
    EXPECT_EQ(enroll("corp", basic("corp-password")).result_int(), 200u);
    EXPECT_EQ(call(beast_http::verb::get, "/.well-known/est/corp/cacerts").result_int(), 200u);
    EXPECT_NE(call(beast_http::verb::get, "/.well-known/est/corp/csrattrs").result_int(), 401u);

    ASSERT_GE(sink_.events.size(), 2u);
    EXPECT_EQ(sink_.events[1].action, codes::kAuthFailedBasic);
    EXPECT_EQ(sink_.events[1].operation_action, codes::kSimpleEnrollFailed);
    EXPECT_EQ(sink_.events[1].status, 401);
    for (const auto& event : sink_.events) {
        EXPECT_EQ(event.reason.find("corp-password"), std::string::npos) << event.reason;
        EXPECT_EQ(event.reason.find("wrong"), event.reason.find("wrong enrollment password"));
    }
}

// A successful cacerts or csrattrs is counted, and audited only in the
// periodic summary; a failed one and every enrollment keep their own event.
TEST_F(EstServiceAuthTest, SuccessfulReadsAreCountedAndSummarizedNotAuditedEach) {
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(call(beast_http::verb::get, "/.well-known/est/corp/cacerts").result_int(), 200u);
    }
    EXPECT_EQ(call(beast_http::verb::get, "/.well-known/est/iot/cacerts").result_int(), 200u);
    EXPECT_EQ(call(beast_http::verb::post, "/.well-known/est/corp/cacerts").result_int(), 405u);
    EXPECT_EQ(enroll("corp", basic("corp-password")).result_int(), 200u);
    EXPECT_EQ(count("corp", codes::kCacertsSuccess), 3u);
    EXPECT_EQ(count("iot", codes::kCacertsSuccess), 1u);
    ASSERT_EQ(sink_.events.size(), 1u);
    EXPECT_EQ(sink_.events[0].action, codes::kSimpleEnrollSuccess);

    service_->summarize_reads();
    ASSERT_EQ(sink_.events.size(), 3u);
    EXPECT_EQ(sink_.events[1].action, codes::kCacertsSuccess);
    EXPECT_EQ(sink_.events[1].profile, "corp");
    EXPECT_EQ(sink_.events[1].actor, kReadSummaryActor);
    EXPECT_EQ(sink_.events[1].status, 200);
    EXPECT_EQ(sink_.events[1].reason, "3 answered since the previous summary");
    EXPECT_EQ(sink_.events[2].profile, "iot");
    EXPECT_EQ(sink_.events[2].reason, "1 answered since the previous summary");

    service_->summarize_reads();  // nothing answered since: nothing written
    EXPECT_EQ(sink_.events.size(), 3u);
    EXPECT_EQ(call(beast_http::verb::get, "/.well-known/est/corp/cacerts").result_int(), 200u);
    service_->summarize_reads();
    ASSERT_EQ(sink_.events.size(), 4u);
    EXPECT_EQ(sink_.events[3].reason, "1 answered since the previous summary");
}

TEST_F(EstServiceAuthTest, CountersAreNeverSharedBetweenProfiles) {
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(enroll("corp", basic("guess-" + std::to_string(i))).result_int(), 401u);
    }
    EXPECT_EQ(enroll("iot", basic("corp-password")).result_int(), 200u);
    EXPECT_EQ(enroll("capped", "", "192.0.2.10", "a").result_int(), 200u);

    std::map<std::string, std::map<std::string_view, std::uint64_t>> expected = {
        {"corp", {{codes::kAuthFailedBasic, 3}, {codes::kSimpleEnrollFailed, 3}}},
        {"iot", {{codes::kSimpleEnrollSuccess, 1}}},
        {"fleet", {}},
        {"capped", {{codes::kSimpleEnrollSuccess, 1}}},
    };
    // Every cell of every profile: only what that profile saw.
    for (const auto& [profile, cells] : expected) {
        for (const auto code : codes::kCountedCodes) {
            const auto want = cells.contains(code) ? cells.at(code) : 0u;
            EXPECT_EQ(count(profile, code), want) << profile << " " << code;
        }
    }
}

TEST_F(EstServiceAuthTest, LockoutsAreNeverSharedBetweenProfiles) {
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(enroll("corp", basic("guess")).result_int(), 401u);
    }
    auto locked = enroll("corp", basic("corp-password"));
    EXPECT_EQ(locked.result_int(), 429u) << "locked out even with the right password";
    EXPECT_FALSE(locked[beast_http::field::retry_after].empty());
    EXPECT_GT(std::stoi(std::string(locked[beast_http::field::retry_after])), 3500);
    EXPECT_EQ(sink_.events.back().action, codes::kAuthFailedBasic);
    EXPECT_EQ(sink_.events.back().status, 429);
    // The same address on another profile, and another address on this one.
    EXPECT_EQ(enroll("iot", basic("corp-password")).result_int(), 200u);
    EXPECT_EQ(enroll("corp", basic("corp-password"), "192.0.2.11").result_int(), 200u);
    // The lockout does not reach the open operations.
    EXPECT_EQ(call(beast_http::verb::get, "/.well-known/est/corp/cacerts").result_int(), 200u);
}

TEST_F(EstServiceAuthTest, AnMtlsOnlyProfileIsNotAnonymousOnTheEstRoute) {
    auto res = enroll("fleet", "");
    EXPECT_EQ(res.result_int(), 401u);
    EXPECT_EQ(sink_.events.back().action, codes::kAuthFailedMtls);
    EXPECT_NE(res.body().find("est-mtls/fleet"), std::string::npos) << res.body();
    // Its CA certificates stay public on /est/, and est-mtls wants a certificate.
    EXPECT_EQ(call(beast_http::verb::get, "/.well-known/est/fleet/cacerts").result_int(), 200u);
    EXPECT_EQ(call(beast_http::verb::get, "/.well-known/est-mtls/fleet/cacerts").result_int(),
              401u);
    EXPECT_EQ(count("fleet", codes::kAuthFailedMtls), 2u);
}

TEST_F(EstServiceAuthTest, EveryCertificate401NamesTheMutualScheme) {
    constexpr std::string_view kMutual = "Mutual realm=\"estd\"";
    // An mTLS-only profile on /est/, an est-mtls route without a certificate.
    EXPECT_EQ(enroll("fleet", "")[beast_http::field::www_authenticate], kMutual);
    const auto mtls = call(beast_http::verb::get, "/.well-known/est-mtls/fleet/cacerts");
    EXPECT_EQ(mtls.result_int(), 401u);
    EXPECT_EQ(mtls[beast_http::field::www_authenticate], kMutual);
    // simplereenroll without the certificate being renewed, on a Basic
    // profile: the password cannot answer it.
    const auto renew = call(beast_http::verb::post, "/.well-known/est/corp/simplereenroll",
                            basic("corp-password"));
    EXPECT_EQ(renew.result_int(), 401u);
    EXPECT_EQ(renew[beast_http::field::www_authenticate], kMutual);
    // The Basic gate keeps its own challenge.
    EXPECT_EQ(enroll("corp", "")[beast_http::field::www_authenticate], "Basic realm=\"estd\"");
}

TEST_F(EstServiceAuthTest, AnUntrustedClientCertificateIsRefusedInOpenSslsWords) {
    const auto stranger_ca_key = test::make_ec_key();
    const auto stranger_ca = test::make_self_signed_ca("stranger CA", stranger_ca_key.get());
    const auto key = test::make_ec_key();
    test::CaOptions leaf;
    leaf.ca = false;
    const auto cert = test::make_certificate("stranger", key.get(), stranger_ca.get(),
                                             stranger_ca_key.get(), leaf);
    const ClientCertConnection tls(cert.get(), key.get());
    const std::string target = "/.well-known/est-mtls/fleet/cacerts";
    const net::Request req{beast_http::verb::get, target, 11};
    const auto peer = tls.peer("192.0.2.10");
    const auto res = http::Router(*service_, [] { return Status{Ok{}}; }).handle(req, peer);
    EXPECT_EQ(res.result_int(), 401u);
    EXPECT_EQ(res[beast_http::field::www_authenticate], "Mutual realm=\"estd\"");
    EXPECT_TRUE(
        res.body().starts_with("client certificate rejected: unable to get local issuer "
                               "certificate (trust bundle of EST profile \""))
        << res.body();
    EXPECT_EQ(sink_.events.back().action, codes::kAuthFailedMtls);
    EXPECT_EQ(sink_.events.back().status, 401);
}

TEST_F(EstServiceAuthTest, PerPrincipalLimitCountsCnAndAddress) {
    EXPECT_EQ(enroll("capped", "", "192.0.2.10", "dev").result_int(), 200u);
    EXPECT_EQ(enroll("capped", "", "192.0.2.10", "dev").result_int(), 200u);
    auto limited = enroll("capped", "", "192.0.2.10", "dev");
    EXPECT_EQ(limited.result_int(), 429u);
    EXPECT_FALSE(limited[beast_http::field::retry_after].empty());
    EXPECT_EQ(sink_.events.back().action, codes::kRateLimited);
    EXPECT_EQ(sink_.events.back().operation_action, codes::kSimpleEnrollFailed);
    EXPECT_EQ(enroll("capped", "", "192.0.2.10", "other-dev").result_int(), 200u);
    EXPECT_EQ(enroll("capped", "", "192.0.2.99", "dev").result_int(), 200u);
    EXPECT_EQ(count("capped", codes::kRateLimited), 1u);
}

// Without an inventory store (estd itself always has one) nothing records
// which profile issued a certificate: a certificate of the profile's CA
// renews only where no other profile shares the issuer.
TEST_F(EstServiceAuthTest, WithoutAStoreARenewalNeedsAnIssuerNoOtherProfileShares) {
    const auto device_key = test::make_ec_key();
    test::CaOptions leaf;
    leaf.ca = false;
    const auto device =
        test::make_certificate("device-1", device_key.get(), ca_.get(), ca_key_.get(), leaf);
    const ClientCertConnection tls(device.get(), device_key.get());
    const auto renew = [&](EstService& service, const std::string& target) {
        net::Request req{beast_http::verb::post, target, 11};
        req.set(beast_http::field::content_type, "application/pkcs10");
        req.body() = pki::base64_encode_lines(test::make_csr(device_key.get(), "device-1"));
        req.prepare_payload();
        // The client's certificate is the TLS peer's.
        const auto peer = tls.peer("192.0.2.10");
        return http::Router(service, [] { return Status{Ok{}}; }).handle(req, peer);
    };

    // Every profile of the fixture signs with issuer_.
    auto refused = renew(*service_, "/.well-known/est/capped/simplereenroll");
    EXPECT_EQ(refused.result_int(), 401u) << refused.body();
    EXPECT_NE(refused.body().find("without an inventory store"), std::string::npos)
        << refused.body();
    EXPECT_EQ(sink_.events.back().action, codes::kAuthFailedMtls);
    // fleet's trust bundle holds that CA: the certificate chains to it.
    EXPECT_EQ(renew(*service_, "/.well-known/est-mtls/fleet/simplereenroll").result_int(), 200u);

    std::vector<EstProfile> alone;
    alone.push_back(profile("solo", [](auto&) {}));
    audit::ProfileCounters counters(std::vector<std::string>{"solo"});
    EstService solo(std::move(alone), sink_, counters, std::chrono::hours(24), http::status_of);
    auto renewed = renew(solo, "/.well-known/est/solo/simplereenroll");
    EXPECT_EQ(renewed.result_int(), 200u) << renewed.body();
}

}  // namespace
}  // namespace estd::est
