#include <string>

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "estd/est/wire.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/csr.hpp"
#include "estd/pki/pkcs7.hpp"
#include "support/test_pki.hpp"

namespace estd::est {
namespace {

std::string with_crlf_lines(const std::string& text, std::size_t width) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += width) {
        out += text.substr(i, width) + "\r\n";
    }
    return out;
}

class EstWireTest : public ::testing::Test {
  protected:
    void SetUp() override {
        key_ = test::make_ec_key();
        der_ = test::make_csr(key_.get(), "wire-test");
        std::string b64 = pki::base64_encode_lines(der_);
        std::erase(b64, '\n');
        std::erase(b64, '\r');
        one_line_ = b64;
    }
    pki::EvpPkeyPtr key_;
    pki::Bytes der_;
    std::string one_line_;
};

TEST_F(EstWireTest, DecodesEveryQuirkToTheSameDer) {
    pki::BioPtr mem(BIO_new(BIO_s_mem()));
    auto req = pki::Csr::from_der(der_);
    ASSERT_TRUE(req);
    PEM_write_bio_X509_REQ(mem.get(), req->get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(mem.get(), &data);
    const std::string pem(data, static_cast<std::size_t>(size));

    const std::vector<std::string> bodies = {
        one_line_,
        "\n\n  " + one_line_ + "\n\n\n",
        with_crlf_lines(one_line_, 64),
        with_crlf_lines(one_line_, 76) + "\r\n\r\n",
        pki::base64_encode_lines(der_),
        pem,
        "\r\n" + pem + "\n\n",
        std::string(der_.begin(), der_.end()),
    };
    for (const auto& body : bodies) {
        auto decoded = decode_request_body(body);
        ASSERT_TRUE(decoded) << decoded.error().message << "\nbody: " << body;
        EXPECT_EQ(*decoded, der_);
    }
}

TEST_F(EstWireTest, RefusesEmptyAndGarbageWithA400) {
    for (const std::string body : {"", "   \r\n", "not base64 at all!", "-----BEGIN junk"}) {
        auto decoded = decode_request_body(body);
        ASSERT_FALSE(decoded) << body;
        EXPECT_EQ(decoded.error().kind, ErrorKind::bad_request);
        EXPECT_FALSE(decoded.error().message.empty());
    }
}

TEST_F(EstWireTest, CertsOnlyBodyIsWrappedBase64OfAParsablePkcs7) {
    auto ca_key = test::make_ec_key();
    auto ca = test::make_self_signed_ca("wire CA", ca_key.get());
    auto body = certs_only_body({ca.get()});
    ASSERT_TRUE(body);
    std::size_t line_start = 0;
    while (line_start < body->size()) {
        const auto end = body->find('\n', line_start);
        ASSERT_NE(end, std::string::npos) << "every line is terminated";
        EXPECT_LE(end - line_start, 77u);
        line_start = end + 1;
    }
    auto der = pki::base64_decode_lenient(*body);
    ASSERT_TRUE(der);
    auto certs = pki::parse_certs_only_der(*der);
    ASSERT_TRUE(certs);
    ASSERT_EQ(certs->size(), 1u);
    EXPECT_EQ(X509_cmp(certs->front().get(), ca.get()), 0);
}

TEST(EstAnswerLayout, AutoGivesStrongSwanOneLineAndLibestLines) {
    using config::Base64LayoutSetting;
    constexpr auto automatic = Base64LayoutSetting::automatic;
    // strongSwan pki 5.9.8 sends no User-Agent and parses no line break.
    EXPECT_EQ(answer_layout(automatic, ""), pki::Base64Layout::single_line);
    EXPECT_EQ(answer_layout(automatic, "  "), pki::Base64Layout::single_line);
    EXPECT_EQ(answer_layout(automatic, "strongSwan 6.0.1"), pki::Base64Layout::single_line);
    // libest 3.2.0 fails on a long unwrapped body; curl users pipe into
    // `openssl base64 -d`, which does too.
    EXPECT_EQ(answer_layout(automatic, "libest 3.2.0"), pki::Base64Layout::wrapped);
    EXPECT_EQ(answer_layout(automatic, "curl/7.88.1"), pki::Base64Layout::wrapped);
    EXPECT_EQ(answer_layout(automatic, "estctl"), pki::Base64Layout::wrapped);
    // A forced layout wins over the client.
    EXPECT_EQ(answer_layout(Base64LayoutSetting::single_line, "libest 3.2.0"),
              pki::Base64Layout::single_line);
    EXPECT_EQ(answer_layout(Base64LayoutSetting::wrapped, ""), pki::Base64Layout::wrapped);
}

TEST_F(EstWireTest, CertsOnlyBodyInOneLineHasNoLineBreak) {
    auto ca_key = test::make_ec_key();
    auto ca = test::make_self_signed_ca("wire CA", ca_key.get());
    auto body = certs_only_body({ca.get()}, pki::Base64Layout::single_line);
    ASSERT_TRUE(body);
    EXPECT_EQ(body->find_first_of("\r\n \t"), std::string::npos);
    auto der = pki::base64_decode_lenient(*body);
    ASSERT_TRUE(der);
    EXPECT_TRUE(pki::parse_certs_only_der(*der));

    const auto answer = Base64Answer::of(*der);
    EXPECT_EQ(answer.in(pki::Base64Layout::single_line), *body);
    EXPECT_EQ(answer.in(pki::Base64Layout::wrapped), pki::base64_encode_lines(*der));
    EXPECT_TRUE(Base64Answer::of({}).empty());
}

}  // namespace
}  // namespace estd::est
