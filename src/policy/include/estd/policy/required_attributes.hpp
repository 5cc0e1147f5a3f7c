#pragma once

#include <string_view>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/csr.hpp"
#include "estd/pki/handles.hpp"

namespace estd::policy {

// The X.520 attribute type a required attribute is carried as.
int subject_nid(config::RequiredAttribute attribute);

// The issued subject: the CSR's, once every required attribute is found.
//
// deviceSerialNumber is carried as X.520 serialNumber (2.5.4.5): in the
// subject, as the guide's recipe does (/CN=laptop-001/serialNumber=ABC123),
// or as a serialNumber attribute of the request (what a client reading
// csrattrs, which lists that OID, may send). From the attribute it is added
// to the issued subject, so the certificate carries the serial either way.
// It must be 1 to 64 PrintableString characters; present in both places, the
// two must agree. commonName, organizationName, organizationalUnitName and
// countryName must be non-empty subject entries. "attribute" otherwise.
Result<pki::X509NamePtr> issued_subject(std::string_view profile_id,
                                        const std::vector<config::RequiredAttribute>& required,
                                        const pki::Csr& csr);

}  // namespace estd::policy
