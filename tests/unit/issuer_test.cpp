#include "estd/issuer/issuer.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "estd/issuer/local_issuer.hpp"
#include "estd/pki/certificate.hpp"
#include "support/test_pki.hpp"

namespace estd::issuer {
namespace {

using namespace std::chrono_literals;
using pki::EvpPkeyPtr;
using pki::X509Ptr;

pki::CertificateTemplate leaf_template(EVP_PKEY* key, std::chrono::seconds lifetime) {
    pki::CertificateTemplate tmpl;
    tmpl.subject.reset(X509_NAME_new());
    X509_NAME_add_entry_by_txt(tmpl.subject.get(), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("leaf"), -1, -1, 0);
    tmpl.public_key = pki::share(key);
    // Backdated: time(), which verification uses, reads a coarse clock that
    // can lag system_clock::now() across a second boundary.
    tmpl.not_before = std::chrono::system_clock::now() - std::chrono::minutes(1);
    tmpl.not_after = tmpl.not_before + lifetime;
    tmpl.extended_key_usages = {"clientAuth"};
    return tmpl;
}

testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) {
        return testing::AssertionSuccess();
    }
    return testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

class IssuerLocal : public ::testing::Test {
  protected:
    void SetUp() override {
        root_key = test::make_ec_key();
        root = test::make_self_signed_ca("Issuer Test Root", root_key.get());
        sub_key = test::make_ec_key();
        sub = test::make_intermediate("Issuer Test Sub", sub_key.get(), root.get(), root_key.get());
    }

    config::IssuerConfig write_config(const std::vector<X509*>& chain, EVP_PKEY* key) {
        config::IssuerConfig cfg;
        cfg.id = "iss-test";
        cfg.type = "local";
        cfg.ca_cert_path = dir.write("ca-chain.crt", test::certificates_pem(chain));
        cfg.ca_key_path = dir.write("ca.key", test::private_key_pem(key));
        return cfg;
    }

    test::TempDir dir;
    EvpPkeyPtr root_key;
    X509Ptr root;
    EvpPkeyPtr sub_key;
    X509Ptr sub;
};

TEST_F(IssuerLocal, LoadsAChainFileWithTheIntermediateFirst) {
    const auto issuer = LocalIssuer::load(write_config({sub.get(), root.get()}, sub_key.get()));
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    const LocalIssuer& local = **issuer;
    EXPECT_EQ(local.id(), "iss-test");
    EXPECT_TRUE(local.ready());
    ASSERT_EQ(local.chain().size(), 2U);
    EXPECT_EQ(X509_cmp(local.ca_certificate(), sub.get()), 0);
    EXPECT_EQ(X509_cmp(local.chain()[1].get(), root.get()), 0);

    const auto key = test::make_ec_key();
    const auto cert = (*issuer)->issue(leaf_template(key.get(), std::chrono::days(30)));
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert->get()), X509_get_subject_name(sub.get())),
              0);
    EXPECT_EQ(test::verify_certificate(cert->get(), root.get(), {sub.get()}), X509_V_OK);
    EXPECT_FALSE(pki::is_ca(cert->get()));
}

TEST_F(IssuerLocal, LoadsASingleSelfSignedCa) {
    const auto issuer = LocalIssuer::load(write_config({root.get()}, root_key.get()));
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    EXPECT_EQ((*issuer)->chain().size(), 1U);
}

TEST_F(IssuerLocal, IssuesWithRsaAndEd25519CaKeys) {
    for (const auto& ca_key : {test::make_rsa_key(2048), test::make_ed25519_key()}) {
        const auto ca = test::make_self_signed_ca("Other Key CA", ca_key.get());
        const auto issuer = LocalIssuer::load(write_config({ca.get()}, ca_key.get()));
        ASSERT_TRUE(issuer.ok()) << issuer.error().message;
        const auto key = test::make_ec_key();
        const auto cert = (*issuer)->issue(leaf_template(key.get(), std::chrono::days(1)));
        ASSERT_TRUE(cert.ok()) << cert.error().message;
        EXPECT_EQ(test::verify_certificate(cert->get(), ca.get()), X509_V_OK);
    }
}

TEST_F(IssuerLocal, RefusesAKeyThatDoesNotMatchTheCaCertificate) {
    const auto stranger = test::make_ec_key();
    const auto cfg = write_config({sub.get(), root.get()}, stranger.get());
    const auto issuer = LocalIssuer::load(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "iss-test"));
    EXPECT_TRUE(contains(issuer.error().message, cfg.ca_key_path));
    EXPECT_TRUE(contains(issuer.error().message, "does not match"));
}

TEST_F(IssuerLocal, HintsWhenTheKeyMatchesALaterCertificate) {
    const auto issuer = LocalIssuer::load(write_config({root.get(), sub.get()}, sub_key.get()));
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "must come first"));
}

TEST_F(IssuerLocal, RefusesAChainOutOfOrder) {
    const auto other_key = test::make_ec_key();
    const auto unrelated = test::make_self_signed_ca("Unrelated Root", other_key.get());
    const auto cfg = write_config({sub.get(), unrelated.get()}, sub_key.get());
    const auto issuer = LocalIssuer::load(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, cfg.ca_cert_path));
    EXPECT_TRUE(contains(issuer.error().message, "did not issue"));
}

TEST_F(IssuerLocal, RefusesACertificateThatIsNotACa) {
    test::CaOptions options;
    options.ca = false;
    const auto leaf_key = test::make_ec_key();
    const auto leaf =
        test::make_certificate("Not A CA", leaf_key.get(), root.get(), root_key.get(), options);
    const auto cfg = write_config({leaf.get()}, leaf_key.get());
    const auto issuer = LocalIssuer::load(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "iss-test"));
    EXPECT_TRUE(contains(issuer.error().message, cfg.ca_cert_path));
    EXPECT_TRUE(contains(issuer.error().message, "not a CA"));
}

TEST_F(IssuerLocal, RefusesUnreadableAndUnparsableFiles) {
    auto cfg = write_config({sub.get()}, sub_key.get());
    const std::string good_cert = cfg.ca_cert_path;
    const std::string good_key = cfg.ca_key_path;

    cfg.ca_cert_path = (dir.path() / "absent.crt").string();
    auto issuer = LocalIssuer::load(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "iss-test"));
    EXPECT_TRUE(contains(issuer.error().message, cfg.ca_cert_path));

    cfg.ca_cert_path = dir.write("garbage.crt", std::string("garbage"));
    issuer = LocalIssuer::load(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, cfg.ca_cert_path));

    cfg.ca_cert_path = good_cert;
    cfg.ca_key_path = dir.write("garbage.key", std::string("-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                                           "-----END PRIVATE KEY-----\n"));
    issuer = LocalIssuer::load(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "iss-test"));
    EXPECT_TRUE(contains(issuer.error().message, cfg.ca_key_path));

    cfg.ca_key_path = (dir.path() / "absent.key").string();
    issuer = LocalIssuer::load(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, cfg.ca_key_path));

    cfg.ca_key_path.clear();
    EXPECT_FALSE(LocalIssuer::load(cfg).ok());
}

TEST_F(IssuerLocal, CapsNotAfterAtTheCaNotAfter) {
    const auto short_key = test::make_ec_key();
    const auto short_ca = test::make_self_signed_ca("Short CA", short_key.get(), 10);
    const auto issuer = LocalIssuer::load(write_config({short_ca.get()}, short_key.get()));
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;

    const auto key = test::make_ec_key();
    const auto cert = (*issuer)->issue(leaf_template(key.get(), std::chrono::days(365)));
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    EXPECT_EQ(pki::not_after(cert->get()), pki::not_after(short_ca.get()));

    const auto brief = (*issuer)->issue(leaf_template(key.get(), std::chrono::days(2)));
    ASSERT_TRUE(brief.ok());
    EXPECT_LT(pki::not_after(brief->get()), pki::not_after(short_ca.get()));
}

TEST_F(IssuerLocal, NotBeforeIsNeverBeforeTheCaNotBefore) {
    const auto issuer = LocalIssuer::load(write_config({root.get()}, root_key.get()));
    ASSERT_TRUE(issuer.ok());
    const auto key = test::make_ec_key();
    auto tmpl = leaf_template(key.get(), std::chrono::days(30));
    tmpl.not_before = std::chrono::system_clock::now() - std::chrono::days(3);
    const auto cert = (*issuer)->issue(std::move(tmpl));
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    EXPECT_EQ(pki::not_before(cert->get()), pki::not_before(root.get()));
}

TEST_F(IssuerLocal, ExpiredCaCannotIssue) {
    test::CaOptions options;
    options.not_before_offset = -std::chrono::days(20);
    options.lifetime = std::chrono::days(10);
    const auto old_key = test::make_ec_key();
    const auto old_ca = test::make_certificate("Old CA", old_key.get(), nullptr, nullptr, options);
    const auto issuer = LocalIssuer::load(write_config({old_ca.get()}, old_key.get()));
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    const auto key = test::make_ec_key();
    const auto cert = (*issuer)->issue(leaf_template(key.get(), std::chrono::days(1)));
    ASSERT_FALSE(cert.ok());
    EXPECT_TRUE(contains(cert.error().message, "iss-test"));
}

TEST_F(IssuerLocal, IssuesConcurrently) {
    const auto issuer = LocalIssuer::load(write_config({sub.get(), root.get()}, sub_key.get()));
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    const auto key = test::make_ec_key();
    constexpr int kThreads = 4;
    constexpr int kPerThread = 25;
    std::atomic<int> verified{0};
    std::mutex failures_mutex;
    std::vector<std::string> failures;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kPerThread; ++i) {
                const auto cert = (*issuer)->issue(leaf_template(key.get(), std::chrono::days(1)));
                const int code =
                    cert.ok() ? test::verify_certificate(cert->get(), root.get(), {sub.get()}) : -1;
                if (code == X509_V_OK) {
                    ++verified;
                    continue;
                }
                std::lock_guard lock(failures_mutex);
                failures.push_back(cert.ok() ? X509_verify_cert_error_string(code)
                                             : cert.error().message);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(verified.load(), kThreads * kPerThread)
        << (failures.empty() ? std::string() : failures.front());
}

TEST(IssuerFactory, MakesALocalIssuer) {
    const test::TempDir dir;
    const auto key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("Factory CA", key.get());
    config::IssuerConfig cfg;
    cfg.id = "iss-local";
    cfg.type = "local";
    cfg.ca_cert_path = dir.write("ca.crt", test::certificates_pem({ca.get()}));
    cfg.ca_key_path = dir.write("ca.key", test::private_key_pem(key.get()));
    const auto issuer = make_issuer(cfg);
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    EXPECT_EQ((*issuer)->id(), "iss-local");
    EXPECT_EQ(X509_cmp((*issuer)->ca_certificate(), ca.get()), 0);
}

TEST(IssuerFactory, LocalErrorsPassThrough) {
    config::IssuerConfig cfg;
    cfg.id = "iss-broken";
    cfg.type = "local";
    cfg.ca_cert_path = "/nonexistent/ca.crt";
    cfg.ca_key_path = "/nonexistent/ca.key";
    const auto issuer = make_issuer(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "iss-broken"));
    EXPECT_TRUE(contains(issuer.error().message, "/nonexistent/ca.crt"));
}

TEST(IssuerFactory, Pkcs11WithoutUriIsRefusedNamingTheIssuer) {
    config::IssuerConfig cfg;
    cfg.id = "iss-hsm";
    cfg.type = "pkcs11";
    const auto issuer = make_issuer(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "iss-hsm"));
    EXPECT_TRUE(contains(issuer.error().message, "PKCS#11 URI"));
}

TEST(IssuerFactory, UnknownTypeNamesTheKnownOnes) {
    config::IssuerConfig cfg;
    cfg.id = "iss-odd";
    cfg.type = "vault";
    const auto issuer = make_issuer(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "iss-odd"));
    EXPECT_TRUE(contains(issuer.error().message, "'vault'"));
    EXPECT_TRUE(contains(issuer.error().message, "local"));
}

// A root key update (RFC 4210 §4.4): the old root issues the sub CA; the new
// root and the two link certificates are the rollover file.
class IssuerRollover : public IssuerLocal {
  protected:
    void SetUp() override {
        IssuerLocal::SetUp();
        new_key = test::make_ec_key();
        new_root = test::make_self_signed_ca("Issuer Test Root G2", new_key.get());
        new_with_old = test::make_intermediate("Issuer Test Root G2", new_key.get(), root.get(),
                                               root_key.get());
        old_with_new = test::make_intermediate("Issuer Test Root", root_key.get(), new_root.get(),
                                               new_key.get());
    }

    Result<std::unique_ptr<Issuer>> load(const std::vector<X509*>& rollover,
                                         const std::vector<X509*>& chain = {}) {
        auto cfg = write_config(chain.empty() ? std::vector<X509*>{sub.get(), root.get()} : chain,
                                sub_key.get());
        cfg.ca_rollover_certs_path = dir.write("rollover.crt", test::certificates_pem(rollover));
        return make_issuer(cfg);
    }

    EvpPkeyPtr new_key;
    X509Ptr new_root;
    X509Ptr new_with_old;
    X509Ptr old_with_new;
};

TEST_F(IssuerRollover, LoadsTheLinkCertificatesAndTheNewRoot) {
    const auto issuer = load({new_root.get(), new_with_old.get(), old_with_new.get()});
    ASSERT_TRUE(issuer.ok()) << issuer.error().message;
    const auto& rollover = (*issuer)->rollover_certificates();
    ASSERT_EQ(rollover.size(), 3U);
    EXPECT_EQ(X509_cmp(rollover[1].get(), new_with_old.get()), 0);
    ASSERT_EQ((*issuer)->chain().size(), 2U);

    // The links alone, in either order.
    EXPECT_TRUE(load({old_with_new.get(), new_with_old.get()}).ok());
    // After the switch: the chain ends with the new root, the old one is the other.
    auto new_sub_key = test::make_ec_key();
    auto new_sub = test::make_intermediate("Issuer Test Sub G2", new_sub_key.get(), new_root.get(),
                                           new_key.get());
    auto cfg = write_config({new_sub.get(), new_root.get()}, new_sub_key.get());
    cfg.ca_rollover_certs_path =
        dir.write("rollover.crt",
                  test::certificates_pem({root.get(), old_with_new.get(), new_with_old.get()}));
    const auto switched = make_issuer(cfg);
    EXPECT_TRUE(switched.ok()) << switched.error().message;
}

TEST_F(IssuerRollover, WithoutTheSettingTheLinksInTheChainFileAreRefused) {
    auto cfg = write_config({sub.get(), root.get(), new_with_old.get(), old_with_new.get()},
                            sub_key.get());
    const auto issuer = make_issuer(cfg);
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "did not issue certificate"));
}

TEST_F(IssuerRollover, RefusesCertificatesThatAreNoGenuineLinks) {
    const auto stranger_key = test::make_ec_key();
    const auto stranger = test::make_self_signed_ca("Stranger Root", stranger_key.get());

    // Nothing the current root vouches for.
    auto issuer = load({old_with_new.get(), new_root.get()});
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "iss-test"));
    EXPECT_TRUE(contains(issuer.error().message, "rollover.crt"));
    EXPECT_TRUE(contains(issuer.error().message, "NewWithOld"));

    // An unrelated root among genuine links.
    issuer = load({new_with_old.get(), old_with_new.get(), stranger.get()});
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "#3 (CN=Stranger Root)"));

    // OldWithNew forged by a third key.
    const auto forged = test::make_intermediate("Issuer Test Root", root_key.get(), stranger.get(),
                                                stranger_key.get());
    issuer = load({new_with_old.get(), forged.get()});
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "#2"));
    EXPECT_TRUE(contains(issuer.error().message, "not signed by the other root key"));

    // A link that is not a CA certificate.
    test::CaOptions leaf;
    leaf.ca = false;
    const auto not_ca = test::make_certificate("Issuer Test Root G2", new_key.get(), root.get(),
                                               root_key.get(), leaf);
    issuer = load({not_ca.get()});
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "not a CA certificate"));

    // The chain file does not end with its root.
    issuer = load({new_with_old.get(), old_with_new.get()}, {sub.get()});
    ASSERT_FALSE(issuer.ok());
    EXPECT_TRUE(contains(issuer.error().message, "not a self-signed root"));
}

}  // namespace
}  // namespace estd::issuer
