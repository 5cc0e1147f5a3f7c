// The serverkeygen multipart body, byte for byte.
#include <string>

#include <gtest/gtest.h>

#include "estd/est/multipart.hpp"

namespace estd::est {
namespace {

TEST(EstMultipart, TwoPartsWithExactlyTwoHeadersEach) {
    const std::string key = "S0VZ\n";
    const std::string certs = "Q0VSVA==\n";
    const auto body = multipart_mixed(
        {{"application/pkcs8", &key}, {"application/pkcs7-mime; smime-type=certs-only", &certs}});
    EXPECT_EQ(body,
              "--estd-serverkeygen-boundary\r\n"
              "Content-Type: application/pkcs8\r\n"
              "Content-Transfer-Encoding: base64\r\n"
              "\r\n"
              "S0VZ\n\r\n"
              "--estd-serverkeygen-boundary\r\n"
              "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
              "Content-Transfer-Encoding: base64\r\n"
              "\r\n"
              "Q0VSVA==\n\r\n"
              "--estd-serverkeygen-boundary--\r\n");
    EXPECT_EQ(multipart_content_type(), "multipart/mixed; boundary=estd-serverkeygen-boundary");
}

}  // namespace
}  // namespace estd::est
