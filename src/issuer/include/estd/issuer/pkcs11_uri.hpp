#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estd/core/error.hpp"

namespace estd::issuer {

// The parts of an RFC 7512 "pkcs11:" URI that locate a CA private key: which
// module to load, which token, which key. Unset optionals were not in the URI.
struct Pkcs11Uri {
    // Token attributes (CK_TOKEN_INFO): a token matches when every given one
    // is equal.
    std::optional<std::string> token;  // label
    std::optional<std::string> manufacturer;
    std::optional<std::string> serial;
    std::optional<std::string> model;
    std::optional<unsigned long> slot_id;
    // Key attributes: CKA_LABEL and CKA_ID.
    std::optional<std::string> object;
    std::optional<std::vector<std::uint8_t>> id;
    // The module's shared library (query attribute module-path).
    std::string module_path;

    // "token \"ca\"", "serial \"0123\"", ... for messages; "any token" when none is given.
    std::string describe_token() const;
    // "object \"ca-ec\" id 01" for messages.
    std::string describe_key() const;
};

// Parses `uri` strictly: the scheme "pkcs11:", percent-encoding, path
// attributes token, manufacturer, serial, model, slot-id, object, id and
// type (which must be "private"), and the query attribute module-path, which
// is required, as is one of object and id. Refused, with a message naming the
// attribute: a pin-value or pin-source (the PIN comes from a file or a
// variable, never from the URI; the value is never repeated), module-name,
// any other attribute, and an attribute given twice.
Result<Pkcs11Uri> parse_pkcs11_uri(std::string_view uri);

}  // namespace estd::issuer
