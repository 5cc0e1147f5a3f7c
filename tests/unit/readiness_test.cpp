// /readyz: every issuer can sign and the data directory keeps its reserve.
#include "estd/http/readiness.hpp"

#include <gtest/gtest.h>

#include "support/test_pki.hpp"

namespace estd::http {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

class SwitchableIssuer final : public issuer::Issuer {
  public:
    explicit SwitchableIssuer(std::string id) : id_(std::move(id)) {}
    const std::string& id() const override { return id_; }
    const std::vector<pki::X509Ptr>& chain() const override { return chain_; }
    Result<pki::X509Ptr> issue(pki::CertificateTemplate) override {
        return Error::internal("not used");
    }
    bool ready() const override { return ready_; }
    void set_ready(bool ready) { ready_ = ready; }

  private:
    std::string id_;
    std::vector<pki::X509Ptr> chain_;
    bool ready_ = true;
};

TEST(Readiness, FreeSpaceAtTheReserveIsEnough) {
    EXPECT_TRUE(check_free_space("/var/lib/estd", 64 * kMiB, 64 * kMiB));
    EXPECT_TRUE(check_free_space("/var/lib/estd", 100 * kMiB, 64 * kMiB));
}

TEST(Readiness, FreeSpaceUnderTheReserveSaysHowMuchIsLeft) {
    const auto verdict = check_free_space("/var/lib/estd", 64 * kMiB - 1, 64 * kMiB);
    ASSERT_FALSE(verdict);
    EXPECT_EQ(verdict.error().kind, ErrorKind::unavailable);
    EXPECT_EQ(verdict.error().message,
              "the data directory /var/lib/estd has 63 MiB available, under the 64 MiB kept "
              "free for the store and the audit log (CERTCTL_DATA_DIR_MIN_FREE_MIB)");
}

TEST(Readiness, NamesTheIssuerThatCannotSign) {
    test::TempDir dir;
    SwitchableIssuer local("iss-local");
    SwitchableIssuer hsm("iss-hsm");
    const Readiness readiness({&local, &hsm}, nullptr, dir.path(), kMiB);
    EXPECT_TRUE(readiness.check());
    hsm.set_ready(false);
    const auto verdict = readiness.check();
    ASSERT_FALSE(verdict);
    EXPECT_EQ(verdict.error().message, "issuer iss-hsm cannot sign");
}

TEST(Readiness, ChecksTheDataDirectorysFilesystem) {
    test::TempDir dir;
    // No filesystem here has a pebibyte available.
    const auto short_of_space = Readiness({}, nullptr, dir.path(), std::uint64_t{1} << 50).check();
    ASSERT_FALSE(short_of_space);
    EXPECT_NE(short_of_space.error().message.find(dir.path().string() + " has "), std::string::npos)
        << short_of_space.error().message;
    EXPECT_TRUE(Readiness({}, nullptr, dir.path(), 0).check());

    const auto missing = Readiness({}, nullptr, dir.path() / "gone", kMiB).check();
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("cannot be examined"), std::string::npos)
        << missing.error().message;
}

}  // namespace
}  // namespace estd::http
