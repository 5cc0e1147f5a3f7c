#include <chrono>

#include <gtest/gtest.h>

#include "estd/core/time_format.hpp"

namespace estd {
namespace {

using namespace std::chrono;

TEST(CoreTimeFormat, HttpDateIsImfFixdate) {
    // RFC 9110 §5.6.7's own example.
    const sys_seconds example = sys_days{1994y / November / 6} + 8h + 49min + 37s;
    EXPECT_EQ(format_http_date(example), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(format_http_date(example + 999ms), "Sun, 06 Nov 1994 08:49:37 GMT");
    const sys_seconds leap = sys_days{2028y / February / 29} + 23h + 59min + 59s;
    EXPECT_EQ(format_http_date(leap), "Tue, 29 Feb 2028 23:59:59 GMT");
}

}  // namespace
}  // namespace estd
