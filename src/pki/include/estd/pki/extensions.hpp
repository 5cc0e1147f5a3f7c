#pragma once

#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// Standalone X.509 extensions, for requests and CSR attribute answers.
// extendedKeyUsage from short names (clientAuth) or dotted OIDs; non-critical.
Result<X509ExtensionPtr> extended_key_usage_extension(const std::vector<std::string>& usages);
// RFC 7633 TLS feature status_request ("must-staple"); non-critical.
Result<X509ExtensionPtr> must_staple_extension();

// The dotted form of every OID in an extendedKeyUsage value.
std::vector<std::string> extended_key_usage_oids(const EXTENDED_KEY_USAGE* usages);
// "clientAuth" for a known OID, else the dotted form.
std::string object_name(const ASN1_OBJECT* object);
std::string object_dotted(const ASN1_OBJECT* object);

}  // namespace estd::pki
