// Trust bundles: loaded whole or refused, swapped atomically on reload, and a
// bad new bundle never replaces a working one.
#include <thread>

#include <gtest/gtest.h>

#include "estd/auth/trust_store.hpp"
#include "support/test_pki.hpp"

namespace estd::auth {
namespace {

struct Ca {
    pki::EvpPkeyPtr key = test::make_ec_key();
    pki::X509Ptr cert;
    explicit Ca(const std::string& name) : cert(test::make_self_signed_ca(name, key.get())) {}

    pki::X509Ptr client(const std::string& cn) const {
        auto client_key = test::make_ec_key();
        test::CaOptions options;
        options.ca = false;
        return test::make_certificate(cn, client_key.get(), cert.get(), key.get(), options);
    }
    std::string pem() const { return test::certificates_pem({cert.get()}); }
};

TEST(TrustStoreTest, RefusesBundlesItCannotUseNamingTheFile) {
    test::TempDir dir;
    auto missing = TrustStore::open((dir.path() / "nope.pem").string());
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);

    const auto empty = dir.write("empty.pem", std::string());
    auto refused = TrustStore::open(empty);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("empty.pem"), std::string::npos);
    EXPECT_NE(refused.error().message.find("empty"), std::string::npos);

    const auto garbage =
        dir.write("garbage.pem",
                  "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    refused = TrustStore::open(garbage);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("garbage.pem"), std::string::npos);
}

TEST(TrustStoreTest, ACaCertificateIsNoClientCertificate) {
    test::TempDir dir;
    const Ca ca("client CA");
    auto store = TrustStore::open(dir.write("bundle.pem", ca.pem()));
    ASSERT_TRUE(store) << store.error().message;
    // CA:TRUE with digitalSignature: purpose sslclient alone would take it.
    auto sub_ca_key = test::make_ec_key();
    test::CaOptions options;
    options.key_cert_sign = false;
    const auto sub_ca =
        test::make_certificate("sub CA", sub_ca_key.get(), ca.cert.get(), ca.key.get(), options);
    const auto refused = (*store)->current()->verify(sub_ca.get(), nullptr);
    ASSERT_FALSE(refused);
    ASSERT_EQ(refused.problems().size(), 1u);
    EXPECT_EQ(refused.problems()[0].status, pki::CertificateStatus::ca_certificate);
    EXPECT_NE(refused.problems()[0].detail.find("CA certificate (basicConstraints CA:TRUE)"),
              std::string::npos)
        << refused.problems()[0].detail;
    // The anchor itself, presented as a client certificate.
    EXPECT_FALSE((*store)->current()->verify(ca.cert.get(), nullptr));
    EXPECT_TRUE((*store)->current()->verify(ca.client("device").get(), nullptr));
}

TEST(TrustStoreTest, ReloadSwapsOnSuccessAndKeepsTheOldAnchorsOnFailure) {
    test::TempDir dir;
    const Ca old_ca("old client CA");
    const Ca new_ca("new client CA");
    const auto old_client = old_ca.client("old-device");
    const auto new_client = new_ca.client("new-device");
    const auto path = dir.write("bundle.pem", old_ca.pem());

    auto store = TrustStore::open(path);
    ASSERT_TRUE(store) << store.error().message;
    TrustStore& trust = **store;
    EXPECT_TRUE(trust.current()->verify(old_client.get(), nullptr));
    EXPECT_FALSE(trust.current()->verify(new_client.get(), nullptr));

    // A corrupted file: the reload fails and the old anchors stay.
    dir.write("bundle.pem", "-----BEGIN CERTIFICATE-----\ntruncated");
    auto failed = trust.reload();
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("bundle.pem"), std::string::npos);
    EXPECT_TRUE(trust.current()->verify(old_client.get(), nullptr));
    dir.write("bundle.pem", "");
    EXPECT_FALSE(trust.reload());
    EXPECT_TRUE(trust.current()->verify(old_client.get(), nullptr));

    // A request holding the old anchors keeps them while a reload swaps.
    const auto held = trust.current();
    dir.write("bundle.pem", new_ca.pem());
    auto reloaded = trust.reload();
    ASSERT_TRUE(reloaded) << reloaded.error().message;
    EXPECT_EQ(reloaded->anchors, 1u);
    EXPECT_TRUE(reloaded->changed);
    EXPECT_TRUE(trust.current()->verify(new_client.get(), nullptr));
    EXPECT_FALSE(trust.current()->verify(old_client.get(), nullptr));
    EXPECT_TRUE(held->verify(old_client.get(), nullptr));
}

TEST(TrustStoreTest, AReloadSaysWhetherTheAnchorsChanged) {
    test::TempDir dir;
    const Ca first("first client CA");
    const Ca second("second client CA");
    const auto path = dir.write("bundle.pem", first.pem());
    auto store = TrustStore::open(path);
    ASSERT_TRUE(store) << store.error().message;
    const auto before = (*store)->current();

    // The same certificate again, even rewritten as another file: unchanged.
    dir.write("bundle.pem", first.pem());
    auto same = (*store)->reload();
    ASSERT_TRUE(same) << same.error().message;
    EXPECT_EQ(same->anchors, 1u);
    EXPECT_FALSE(same->changed);
    EXPECT_EQ((*store)->current(), before);

    dir.write("bundle.pem", first.pem() + second.pem());
    auto added = (*store)->reload();
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ(added->anchors, 2u);
    EXPECT_TRUE(added->changed);

    dir.write("bundle.pem", second.pem() + first.pem());
    auto reordered = (*store)->reload();
    ASSERT_TRUE(reordered);
    EXPECT_TRUE(reordered->changed);
}

TEST(TrustStoreTest, ConcurrentReadersSeeWholeBundles) {
    test::TempDir dir;
    const Ca a("CA a");
    const Ca b("CA b");
    const auto client_a = a.client("a");
    const auto client_b = b.client("b");
    const auto path = dir.write("bundle.pem", a.pem());
    auto store = TrustStore::open(path);
    ASSERT_TRUE(store);
    std::atomic<bool> stop{false};
    std::atomic<int> neither{0};
    std::thread reader([&] {
        while (!stop) {
            const auto current = (*store)->current();
            // Each snapshot is one whole bundle: exactly one of the two CAs.
            const bool ok_a = static_cast<bool>(current->verify(client_a.get(), nullptr));
            const bool ok_b = static_cast<bool>(current->verify(client_b.get(), nullptr));
            if (ok_a == ok_b) {
                ++neither;
            }
        }
    });
    for (int i = 0; i < 50; ++i) {
        dir.write("bundle.pem", (i % 2 == 0 ? b : a).pem());
        auto reloaded = (*store)->reload();
        ASSERT_TRUE(reloaded && reloaded->changed);
    }
    stop = true;
    reader.join();
    EXPECT_EQ(neither, 0);
}

}  // namespace
}  // namespace estd::auth
