#include "estd/http/query.hpp"

#include <charconv>
#include <ctime>

#include "estd/core/percent_decode.hpp"

namespace estd::http {
namespace {

bool read_number(std::string_view text, std::size_t pos, std::size_t digits, int& out) {
    if (pos + digits > text.size()) {
        return false;
    }
    const char* begin = text.data() + pos;
    const auto [end, ec] = std::from_chars(begin, begin + digits, out);
    return ec == std::errc() && end == begin + digits;
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_query(std::string_view target,
                                                              std::size_t max_params) {
    std::map<std::string, std::string> params;
    const auto question = target.find('?');
    if (question == std::string_view::npos) {
        return params;
    }
    std::string_view rest = target.substr(question + 1);
    std::size_t count = 0;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        if (++count > max_params) {
            return std::nullopt;
        }
        const auto equals = pair.find('=');
        auto name = percent_decode(pair.substr(0, equals));
        auto value = percent_decode(equals == std::string_view::npos ? std::string_view()
                                                                     : pair.substr(equals + 1));
        if (!name || !value) {
            return std::nullopt;
        }
        params[*name] = *value;
    }
    return params;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
    std::tm tm{};
    int year = 0;
    int month = 0;
    int day = 0;
    if (!read_number(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || text[7] != '-' ||
        !read_number(text, 5, 2, month) || !read_number(text, 8, 2, day) || month < 1 ||
        month > 12 || day < 1 || day > 31) {
        return std::nullopt;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    long offset_seconds = 0;
    std::chrono::milliseconds fraction{0};
    if (text.size() > 10) {
        if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text.size() < 20 ||
            text[13] != ':' || text[16] != ':' || !read_number(text, 11, 2, tm.tm_hour) ||
            !read_number(text, 14, 2, tm.tm_min) || !read_number(text, 17, 2, tm.tm_sec) ||
            tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
            return std::nullopt;
        }
        std::size_t pos = 19;
        if (pos < text.size() && text[pos] == '.') {
            std::size_t digits = 0;
            long millis = 0;
            for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
                if (digits++ < 3) {
                    millis = millis * 10 + (text[pos] - '0');
                }
            }
            for (; digits < 3; ++digits) {
                millis *= 10;
            }
            fraction = std::chrono::milliseconds(millis);
        }
        if (pos == text.size() - 1 && (text[pos] == 'Z' || text[pos] == 'z')) {
            offset_seconds = 0;
        } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
                   text[pos + 3] == ':') {
            int hours = 0;
            int minutes = 0;
            if (!read_number(text, pos + 1, 2, hours) || !read_number(text, pos + 4, 2, minutes)) {
                return std::nullopt;
            }
            offset_seconds = (hours * 3600L + minutes * 60L) * (text[pos] == '-' ? -1 : 1);
        } else {
            return std::nullopt;
        }
    }
    const time_t seconds = timegm(&tm);
    return std::chrono::system_clock::from_time_t(seconds - offset_seconds) + fraction;
}

bool json_depth_within(std::string_view text, int max_depth) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                return false;
            }
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

}  // namespace estd::http
