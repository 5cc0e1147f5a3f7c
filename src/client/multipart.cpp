#include "estd/client/multipart.hpp"

#include <algorithm>
#include <cctype>

namespace estd::client {

namespace {

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Splits on `;` outside double quotes.
std::vector<std::string_view> split_parameters(std::string_view value) {
    std::vector<std::string_view> pieces;
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '"' && (i == 0 || value[i - 1] != '\\')) {
            quoted = !quoted;
        } else if (value[i] == ';' && !quoted) {
            pieces.push_back(value.substr(start, i - start));
            start = i + 1;
        }
    }
    pieces.push_back(value.substr(start));
    return pieces;
}

std::string unquote(std::string_view value) {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') {
        return std::string(value);
    }
    std::string out;
    for (std::size_t i = 1; i + 1 < value.size(); ++i) {
        if (value[i] == '\\' && i + 2 < value.size()) {
            ++i;
        }
        out += value[i];
    }
    return out;
}

// One line starting at `pos` (without its CR LF / LF); `pos` moves past it.
std::string_view next_line(std::string_view text, std::size_t& pos) {
    const auto end = text.find('\n', pos);
    std::string_view line =
        end == std::string_view::npos ? text.substr(pos) : text.substr(pos, end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    return line;
}

Result<MimePart> parse_part(std::string_view raw) {
    MimePart part;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::string_view line = next_line(raw, pos);
        if (line.empty()) {
            part.body = std::string(raw.substr(pos));
            return part;
        }
        if ((line.front() == ' ' || line.front() == '\t') && !part.headers.empty()) {
            part.headers.back().value += " " + std::string(trim(line));
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return Error::protocol("multipart body part has a malformed header line \"" +
                                   std::string(line) + "\"");
        }
        part.headers.push_back(
            {std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
    }
    // Headers only, no blank line: an empty body.
    return part;
}

// Position of the next delimiter line "--boundary" at or after `from`
// (at the start of the text or of a line); npos when there is none.
std::size_t find_delimiter(std::string_view body, std::string_view delimiter, std::size_t from) {
    for (auto pos = body.find(delimiter, from); pos != std::string_view::npos;
         pos = body.find(delimiter, pos + 1)) {
        if (pos == 0 || body[pos - 1] == '\n') {
            return pos;
        }
    }
    return std::string_view::npos;
}

}  // namespace

std::string ContentType::parameter(const std::string& name) const {
    const auto it = parameters.find(lower(name));
    return it == parameters.end() ? std::string() : it->second;
}

ContentType parse_content_type(std::string_view value) {
    const auto pieces = split_parameters(value);
    ContentType type;
    type.media_type = lower(trim(pieces.front()));
    for (std::size_t i = 1; i < pieces.size(); ++i) {
        const auto eq = pieces[i].find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        type.parameters[lower(trim(pieces[i].substr(0, eq)))] =
            unquote(trim(pieces[i].substr(eq + 1)));
    }
    return type;
}

std::string MimePart::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (lower(h.name) == lower(name)) {
            return h.value;
        }
    }
    return {};
}

Result<std::vector<MimePart>> parse_multipart(std::string_view content_type,
                                              std::string_view body) {
    const ContentType type = parse_content_type(content_type);
    if (!type.media_type.starts_with("multipart/")) {
        return Error::protocol("expected a multipart answer, got Content-Type \"" +
                               std::string(content_type) + "\"");
    }
    const std::string boundary = type.parameter("boundary");
    if (boundary.empty() || boundary.size() > 70) {
        return Error::protocol("multipart Content-Type has no usable boundary");
    }
    const std::string delimiter = "--" + boundary;
    std::size_t pos = find_delimiter(body, delimiter, 0);
    std::vector<MimePart> parts;
    while (pos != std::string_view::npos) {
        std::size_t after = pos + delimiter.size();
        if (body.substr(after, 2) == "--") {
            return parts;  // close delimiter; the rest is epilogue
        }
        next_line(body, after);  // transport padding and line end after the delimiter
        const std::size_t next = find_delimiter(body, delimiter, after);
        if (next == std::string_view::npos) {
            break;
        }
        // The line break before a delimiter belongs to the delimiter.
        std::size_t end = next;
        if (end > after && body[end - 1] == '\n') {
            --end;
        }
        if (end > after && body[end - 1] == '\r') {
            --end;
        }
        auto part = parse_part(body.substr(after, end - after));
        if (!part) {
            return std::move(part).take_error();
        }
        parts.push_back(std::move(part).value());
        pos = next;
    }
    return Error::protocol("multipart body is truncated: no closing \"" + delimiter +
                           "--\" delimiter");
}

}  // namespace estd::client
