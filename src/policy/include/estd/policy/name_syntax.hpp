#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace estd::policy {

// The syntax RFC 5280 §4.2.1.6 gives each name form estd issues, checked
// before any suffix or domain rule. Each answers nullopt for a well-formed
// name, else what is wrong with it ("has an empty label").

// dNSName: the preferred name syntax (RFC 1034 §3.5, RFC 1123 §2.1): labels
// of 1 to 63 letters, digits and '-', not starting or ending with '-',
// separated by single dots, 253 characters at most, no trailing dot. IDNs
// go as A-labels (xn--...). "*" is taken only as the whole leftmost label,
// when `wildcard_allowed`, and then only before at least two more labels.
std::optional<std::string> dns_name_problem(std::string_view name, bool wildcard_allowed);

// rfc822Name: a Mailbox (RFC 5321 §4.1.2): a dot-string or quoted-string
// local part of at most 64 octets, '@', a domain in the preferred name
// syntax; 254 octets at most. (Address literals are not taken.)
std::optional<std::string> email_problem(std::string_view address);

// uniformResourceIdentifier: an absolute URI (RFC 3986): a scheme, ':', a
// non-empty rest of URI characters, with '%' only before two hex digits; an
// authority ("//") must name a host: a domain name, an IPv4 address or a
// bracketed IPv6 address.
std::optional<std::string> uri_problem(std::string_view uri);

// iPAddress: 4 octets (IPv4) or 16 (IPv6).
std::optional<std::string> ip_problem(std::size_t octets);

// `text` safe to put in a message: bytes outside printable ASCII as \xHH,
// long text cut after 80 characters.
std::string printable(std::string_view text);

}  // namespace estd::policy
