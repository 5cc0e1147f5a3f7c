// The Basic gate's parsing and comparison, and the constant-time compare.
#include <string>

#include <gtest/gtest.h>

#include "estd/auth/basic_gate.hpp"
#include "estd/auth/constant_time.hpp"
#include "estd/pki/base64.hpp"

namespace estd::auth {
namespace {

std::string basic(const std::string& user_and_password) {
    const pki::Bytes bytes(user_and_password.begin(), user_and_password.end());
    std::string encoded = pki::base64_encode_lines(bytes);
    while (!encoded.empty() && encoded.back() == '\n') {
        encoded.pop_back();
    }
    return "Basic " + encoded;
}

TEST(BasicGateTest, ParsesBasicCredentials) {
    auto parsed = parse_basic_authorization(basic("estuser:s3cret"));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->user, "estuser");
    EXPECT_EQ(parsed->password, "s3cret");

    // Scheme is case-insensitive (RFC 7617); the password may hold ':'.
    parsed = parse_basic_authorization("bAsIc " + basic("u:a:b:c").substr(6));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->password, "a:b:c");

    // An empty user is fine: the gate checks only the password.
    parsed = parse_basic_authorization(basic(":pw"));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->user, "");
    EXPECT_EQ(parsed->password, "pw");
}

TEST(BasicGateTest, RefusesWhatIsNotBasic) {
    EXPECT_FALSE(parse_basic_authorization(""));
    EXPECT_FALSE(parse_basic_authorization("Bearer abc"));
    EXPECT_FALSE(parse_basic_authorization("Basic"));
    EXPECT_FALSE(parse_basic_authorization("Basic !!!not-base64!!!"));
    EXPECT_FALSE(parse_basic_authorization(basic("no-colon-here")));
    EXPECT_FALSE(parse_basic_authorization("Basic " + std::string(2000, 'A')));
}

TEST(BasicGateTest, AcceptsOnlyTheExactPassword) {
    auto gate = BasicGate::create("correct horse");
    ASSERT_TRUE(gate);
    EXPECT_TRUE(gate->accepts("correct horse"));
    EXPECT_FALSE(gate->accepts("correct hors"));
    EXPECT_FALSE(gate->accepts("correct horse "));
    EXPECT_FALSE(gate->accepts("Correct horse"));
    EXPECT_FALSE(gate->accepts(""));
    EXPECT_FALSE(gate->accepts(std::string(10000, 'x')));
    // Embedded NUL is part of the password, not its end.
    EXPECT_FALSE(gate->accepts(std::string("correct horse\0x", 15)));
}

TEST(BasicGateTest, CopiesKeepWorking) {
    auto gate = BasicGate::create("pw");
    ASSERT_TRUE(gate);
    const BasicGate copy = *gate;
    EXPECT_TRUE(copy.accepts("pw"));
    EXPECT_FALSE(copy.accepts("pw2"));
}

TEST(ConstantTimeTest, ComparesContentAndLength) {
    const pki::Bytes a{1, 2, 3, 4};
    const pki::Bytes same{1, 2, 3, 4};
    const pki::Bytes last_differs{1, 2, 3, 5};
    const pki::Bytes first_differs{0, 2, 3, 4};
    const pki::Bytes shorter{1, 2, 3};
    EXPECT_TRUE(constant_time_equal(a, same));
    EXPECT_FALSE(constant_time_equal(a, last_differs));
    EXPECT_FALSE(constant_time_equal(a, first_differs));
    EXPECT_FALSE(constant_time_equal(a, shorter));
    EXPECT_FALSE(constant_time_equal(shorter, a));
    EXPECT_TRUE(constant_time_equal(pki::Bytes{}, pki::Bytes{}));
    EXPECT_FALSE(constant_time_equal(pki::Bytes{}, a));
}

}  // namespace
}  // namespace estd::auth
