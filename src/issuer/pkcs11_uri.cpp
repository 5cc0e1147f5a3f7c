// RFC 7512 parsing. libp11 has no URI parser of its own (the engine's is not
// exported), and estd needs only the attributes that locate one private key.

#include "estd/issuer/pkcs11_uri.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "estd/core/hex.hpp"
#include "estd/core/percent_decode.hpp"

namespace estd::issuer {

namespace {

constexpr std::string_view kScheme = "pkcs11:";

Error uri_error(std::string message) {
    return Error::internal(std::move(message));
}

// %XX escapes to bytes ('+' stays a plus); a stray '%' is an error.
Result<std::string> decode_attribute(std::string_view name, std::string_view value) {
    auto decoded = percent_decode(value, /*plus_is_space=*/false);
    if (!decoded) {
        return uri_error("attribute " + std::string(name) +
                         " has a '%' not followed by two hex digits");
    }
    return std::move(*decoded);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find(separator, start), text.size());
        if (end > start) {
            parts.push_back(text.substr(start, end - start));
        }
        start = end + 1;
    }
    return parts;
}

bool starts_with_scheme(std::string_view uri) {
    if (uri.size() < kScheme.size()) {
        return false;
    }
    return std::equal(kScheme.begin(), kScheme.end(), uri.begin(), [](char a, char b) {
        return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
    });
}

Result<unsigned long> parse_slot_id(const std::string& value) {
    unsigned long slot = 0;
    const auto* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, slot);
    if (value.empty() || ec != std::errc{} || ptr != end) {
        return uri_error("slot-id \"" + value + "\" is not a decimal number");
    }
    return slot;
}

// Applies one decoded path attribute, or says why it is refused.
Status apply_path_attribute(std::string_view name, std::string value, Pkcs11Uri& uri) {
    if (name == "token") {
        uri.token = std::move(value);
    } else if (name == "manufacturer") {
        uri.manufacturer = std::move(value);
    } else if (name == "serial") {
        uri.serial = std::move(value);
    } else if (name == "model") {
        uri.model = std::move(value);
    } else if (name == "slot-id") {
        auto slot = parse_slot_id(value);
        if (!slot) {
            return std::move(slot).take_error();
        }
        uri.slot_id = *slot;
    } else if (name == "object") {
        uri.object = std::move(value);
    } else if (name == "id") {
        uri.id = std::vector<std::uint8_t>(value.begin(), value.end());
    } else if (name == "type") {
        if (value != "private") {
            return uri_error("type=" + value +
                             " names no private key: estd signs with the CA's private key, so "
                             "type must be private (or left out)");
        }
    } else if (name == "pin-value" || name == "pin-source") {
        return uri_error("carries " + std::string(name) +
                         ": never put the PIN in the URI; use the issuer's PKCS11_PIN_FILE or "
                         "PKCS11_PIN_ENV");
    } else {
        return uri_error(
            "path attribute \"" + std::string(name) +
            "\" is not supported (use token, manufacturer, serial, model, slot-id, object, id, "
            "type)");
    }
    return Ok{};
}

Status apply_query_attribute(std::string_view name, std::string value, Pkcs11Uri& uri) {
    if (name == "module-path") {
        uri.module_path = std::move(value);
    } else if (name == "pin-value" || name == "pin-source") {
        return uri_error("carries " + std::string(name) +
                         ": never put the PIN in the URI; use the issuer's PKCS11_PIN_FILE or "
                         "PKCS11_PIN_ENV");
    } else if (name == "module-name") {
        return uri_error("module-name is not supported: give the module's file with module-path");
    } else {
        return uri_error("query attribute \"" + std::string(name) +
                         "\" is not supported (only module-path is)");
    }
    return Ok{};
}

using Apply = Status (*)(std::string_view, std::string, Pkcs11Uri&);

Status apply_attributes(std::string_view part, char separator, Apply apply,
                        std::set<std::string, std::less<>>& seen, Pkcs11Uri& uri) {
    for (const auto attribute : split(part, separator)) {
        const auto equals = attribute.find('=');
        const auto name = attribute.substr(0, equals);
        if (equals == std::string_view::npos || name.empty()) {
            // Not repeated in full: it could be a bare PIN pasted in.
            return uri_error("has an attribute without a name=value form");
        }
        if (!seen.insert(std::string(name)).second) {
            return uri_error("gives " + std::string(name) + " twice");
        }
        auto value = decode_attribute(name, attribute.substr(equals + 1));
        if (!value) {
            return std::move(value).take_error();
        }
        if (auto applied = apply(name, std::move(*value), uri); !applied) {
            return applied;
        }
    }
    return Ok{};
}

std::string quoted(const std::string& text) {
    return "\"" + text + "\"";
}

}  // namespace

std::string Pkcs11Uri::describe_token() const {
    std::vector<std::string> parts;
    if (token) {
        parts.push_back("token " + quoted(*token));
    }
    if (serial) {
        parts.push_back("serial " + quoted(*serial));
    }
    if (manufacturer) {
        parts.push_back("manufacturer " + quoted(*manufacturer));
    }
    if (model) {
        parts.push_back("model " + quoted(*model));
    }
    if (slot_id) {
        parts.push_back("slot-id " + std::to_string(*slot_id));
    }
    if (parts.empty()) {
        return "any token";
    }
    std::string out;
    for (const auto& part : parts) {
        out += (out.empty() ? "" : " ") + part;
    }
    return out;
}

std::string Pkcs11Uri::describe_key() const {
    std::string out;
    if (object) {
        out = "object " + quoted(*object);
    }
    if (id) {
        out += (out.empty() ? "" : " ") + std::string("id ") + to_hex(*id);
    }
    return out;
}

Result<Pkcs11Uri> parse_pkcs11_uri(std::string_view text) {
    if (!starts_with_scheme(text)) {
        return uri_error("is not an RFC 7512 URI (it must start with \"pkcs11:\")");
    }
    text.remove_prefix(kScheme.size());
    const auto question = text.find('?');
    const auto path = text.substr(0, question);
    const auto query =
        question == std::string_view::npos ? std::string_view{} : text.substr(question + 1);
    Pkcs11Uri uri;
    std::set<std::string, std::less<>> seen;
    if (auto applied = apply_attributes(path, ';', apply_path_attribute, seen, uri); !applied) {
        return std::move(applied).take_error();
    }
    if (auto applied = apply_attributes(query, '&', apply_query_attribute, seen, uri); !applied) {
        return std::move(applied).take_error();
    }
    if (uri.module_path.empty()) {
        return uri_error("names no module: add ?module-path=/path/to/the/vendor-pkcs11-module.so");
    }
    if (!uri.object && !uri.id) {
        return uri_error("names no key: add object=<key label> or id=<key id, %-encoded>");
    }
    if (uri.object && uri.object->empty()) {
        return uri_error("has an empty object label");
    }
    if (uri.id && uri.id->empty()) {
        return uri_error("has an empty id");
    }
    return uri;
}

}  // namespace estd::issuer
