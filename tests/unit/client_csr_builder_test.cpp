#include <gtest/gtest.h>

#include "estd/client/csr_builder.hpp"
#include "estd/client/encoding.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/csr.hpp"
#include "support/daemon.hpp"
#include "support/test_pki.hpp"

namespace estd::client {
namespace {

using pki::Bytes;

// `openssl req -verify -text` on the CSR: the exit code and the printout.
testing::CommandResult openssl_req(const test::TempDir& dir, const Bytes& der) {
    const std::string path = dir.write("req.pem", csr_pem(der));
    return testing::run_command("openssl req -in '" + path + "' -verify -noout -text 2>&1",
                                std::chrono::seconds(30));
}

TEST(ClientCsrBuilder, OpensslVerifiesAndSeesExactlyTheRequestedNames) {
    const test::TempDir dir;
    const auto key = test::make_ec_key();
    CsrRequest request;
    request.common_name = "device-001.example.com";
    request.serial_number = "SN-4711";
    request.dns_names = {"device-001.example.com", "alt.example.com"};
    request.ip_addresses = {"192.0.2.7", "2001:db8::1"};
    request.emails = {"ops@example.com"};
    const auto der = build_csr(key.get(), request);
    ASSERT_TRUE(der.ok()) << der.error().message;

    const auto printed = openssl_req(dir, *der);
    EXPECT_EQ(printed.exit_code, 0) << printed.output;
    EXPECT_NE(printed.output.find("verify OK"), std::string::npos) << printed.output;
    EXPECT_NE(printed.output.find("Subject: CN = device-001.example.com, serialNumber = SN-4711"),
              std::string::npos)
        << printed.output;
    EXPECT_NE(printed.output.find("DNS:device-001.example.com, DNS:alt.example.com, "
                                  "IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:1, "
                                  "email:ops@example.com\n"),
              std::string::npos)
        << printed.output;
    EXPECT_EQ(printed.output.find("challengePassword"), std::string::npos);

    // The project's own parser agrees, name for name.
    const auto csr = pki::Csr::from_der(*der);
    ASSERT_TRUE(csr.ok()) << csr.error().message;
    EXPECT_EQ(pki::name_to_string(csr->subject()),
              "serialNumber=SN-4711,CN=device-001.example.com");
    EXPECT_EQ(
        csr->subject_alt_name_strings(),
        (std::vector<std::string>{"DNS:device-001.example.com", "DNS:alt.example.com",
                                  "IP:192.0.2.7", "IP:2001:db8::1", "email:ops@example.com"}));
    EXPECT_TRUE(pki::same_public_key(csr->public_key(), key.get()));
}

TEST(ClientCsrBuilder, ChallengePasswordAndChannelBindingAttribute) {
    const test::TempDir dir;
    const auto key = test::make_rsa_key(2048);
    CsrRequest request;
    request.common_name = "bound";
    request.challenge_password = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ+/8=";
    request.channel_binding_attribute = Bytes(32, 0xAB);
    const auto der = build_csr(key.get(), request);
    ASSERT_TRUE(der.ok()) << der.error().message;
    const auto printed = openssl_req(dir, *der);
    EXPECT_EQ(printed.exit_code, 0) << printed.output;
    EXPECT_NE(printed.output.find("verify OK"), std::string::npos);
    EXPECT_NE(printed.output.find("Subject: CN = bound\n"), std::string::npos) << printed.output;
    EXPECT_EQ(printed.output.find("X509v3 Subject Alternative Name"), std::string::npos);

    const auto csr = pki::Csr::from_der(*der);
    ASSERT_TRUE(csr.ok());
    EXPECT_EQ(csr->challenge_password(), request.challenge_password);
    EXPECT_EQ(csr->octet_string_attribute(kChannelBindingAttributeOid),
              request.channel_binding_attribute);
    EXPECT_TRUE(csr->subject_alt_name_strings().empty());
}

TEST(ClientCsrBuilder, Ed25519AndSanOnly) {
    const auto key = test::make_ed25519_key();
    CsrRequest request;
    request.dns_names = {"only-san.example.com"};
    const auto der = build_csr(key.get(), request);
    ASSERT_TRUE(der.ok()) << der.error().message;
    const auto csr = pki::Csr::from_der(*der);
    ASSERT_TRUE(csr.ok());
    EXPECT_EQ(X509_NAME_entry_count(csr->subject()), 0);
    EXPECT_EQ(csr->subject_alt_name_strings(),
              std::vector<std::string>{"DNS:only-san.example.com"});
}

TEST(ClientCsrBuilder, RenewalRepeatsTheCertificatesNames) {
    const auto ca_key = test::make_ec_key();
    const auto ca = test::make_self_signed_ca("CA", ca_key.get());
    const auto key = test::make_ec_key();
    test::CaOptions leaf;
    leaf.ca = false;
    leaf.subject_alt_names = {"DNS:renew.example.com", "IP:10.0.0.1"};
    const auto cert = test::make_certificate("renew", key.get(), ca.get(), ca_key.get(), leaf);
    const auto der = build_csr(key.get(), renewal_request(cert.get()));
    ASSERT_TRUE(der.ok()) << der.error().message;
    const auto csr = pki::Csr::from_der(*der);
    ASSERT_TRUE(csr.ok());
    EXPECT_EQ(X509_NAME_cmp(csr->subject(), X509_get_subject_name(cert.get())), 0);
    EXPECT_EQ(csr->subject_alt_name_strings(), pki::subject_alt_names(cert.get()));
}

TEST(ClientCsrBuilder, Refusals) {
    const auto key = test::make_ec_key();
    EXPECT_FALSE(build_csr(key.get(), CsrRequest{}).ok());  // no names at all
    CsrRequest bad_ip;
    bad_ip.common_name = "x";
    bad_ip.ip_addresses = {"300.1.1.1"};
    EXPECT_FALSE(build_csr(key.get(), bad_ip).ok());
    CsrRequest empty_dns;
    empty_dns.common_name = "x";
    empty_dns.dns_names = {""};
    EXPECT_FALSE(build_csr(key.get(), empty_dns).ok());
    CsrRequest fine;
    fine.common_name = "x";
    EXPECT_FALSE(build_csr(nullptr, fine).ok());
}

TEST(ClientCsrBuilder, ReadsCsrFilesInEveryForm) {
    const auto key = test::make_ec_key();
    const Bytes der = test::make_csr(key.get(), "file");
    const std::string pem = csr_pem(der);
    EXPECT_EQ(*csr_from_file_content(pem), der);
    std::string legacy = pem;
    legacy.replace(legacy.find("BEGIN "), 6, "BEGIN NEW ");
    legacy.replace(legacy.find("END "), 4, "END NEW ");
    EXPECT_EQ(*csr_from_file_content(legacy), der);
    EXPECT_EQ(*csr_from_file_content(base64_one_line(der) + "\n"), der);
    EXPECT_EQ(*csr_from_file_content(std::string(der.begin(), der.end())), der);
    std::string broken(der.begin(), der.end());
    broken[broken.size() / 2] = static_cast<char>(broken[broken.size() / 2] ^ 0x01);
    EXPECT_FALSE(csr_from_file_content(broken).ok());
    EXPECT_FALSE(csr_from_file_content("garbage").ok());
}

}  // namespace
}  // namespace estd::client
