#include "estd/client/renewal.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "estd/pki/certificate.hpp"

namespace estd::client {

namespace {

constexpr long long kWhole = 10000;  // basis points in 100%

Error bad_threshold(std::string_view text) {
    return Error::input(
        "a renewal threshold is a percentage of the lifetime above 0 and "
        "at most 100, such as 25%, not \"" +
        std::string(text) + "\"");
}

}  // namespace

Result<RenewalThreshold> parse_renewal_threshold(std::string_view text) {
    std::string_view number = text;
    if (!number.empty() && number.back() == '%') {
        number.remove_suffix(1);
    }
    // Digits, then optionally '.' and one or two digits: no sign, exponent
    // or blanks, which std::stod would accept and a typo would hide behind.
    const auto dot = number.find('.');
    const std::string_view whole = number.substr(0, dot);
    const std::string_view fraction =
        dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
    const auto all_digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(),
                           [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    };
    if (whole.empty() || whole.size() > 3 || !all_digits(whole) || !all_digits(fraction) ||
        fraction.size() > 2 || (dot != std::string_view::npos && fraction.empty())) {
        return bad_threshold(text);
    }
    long long basis_points = std::stoll(std::string(whole)) * 100;
    if (!fraction.empty()) {
        basis_points += std::stoll(std::string(fraction)) * (fraction.size() == 1 ? 10 : 1);
    }
    if (basis_points <= 0 || basis_points > kWhole) {
        return bad_threshold(text);
    }
    return RenewalThreshold{basis_points};
}

RenewalCheck renewal_check(std::chrono::system_clock::time_point not_before,
                           std::chrono::system_clock::time_point not_after,
                           std::chrono::system_clock::time_point now, RenewalThreshold threshold) {
    using std::chrono::seconds;
    const long long lifetime = std::chrono::duration_cast<seconds>(not_after - not_before).count();
    const long long remaining = std::chrono::duration_cast<seconds>(not_after - now).count();
    if (lifetime <= 0 || remaining <= 0) {
        return RenewalCheck{true, 0};
    }
    // remaining / lifetime <= threshold / 10000, in integers (lifetimes in
    // seconds times 10000 stay far below 2^63).
    RenewalCheck check;
    check.due = remaining * kWhole <= threshold.basis_points * lifetime;
    check.remaining_basis_points = std::min(kWhole, remaining * kWhole / lifetime);
    return check;
}

RenewalCheck renewal_check(const X509* cert, std::chrono::system_clock::time_point now,
                           RenewalThreshold threshold) {
    return renewal_check(pki::not_before(cert), pki::not_after(cert), now, threshold);
}

}  // namespace estd::client
