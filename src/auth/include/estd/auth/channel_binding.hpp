#pragma once

// Channel binding (SPEC.md "Channel binding and proof of possession"): a
// CSR proves it was made for THIS TLS connection by carrying the
// connection's binding value, so a CSR relayed through an attacker's own
// TLS session does not verify.
//
//   TLS 1.3: RFC 9266 tls-exporter (32 bytes, label EXPORTER-Channel-Binding,
//            no context), as base64 in challengePassword or raw in the
//            guide's attribute 1.2.840.113549.1.9.16.2.56 (OCTET STRING).
//   TLS 1.2: RFC 5929 tls-unique as base64 in challengePassword (RFC 7030
//            §3.5, what libest sends), only with Extended Master Secret
//            (RFC 7627): without it tls-unique can be made equal on two
//            connections (the triple handshake attack).

#include <cstddef>
#include <string>
#include <string_view>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/csr.hpp"
#include "estd/pki/handles.hpp"
#include "estd/pki/peer_identity.hpp"

namespace estd::auth {

inline constexpr const char* kChannelBindingAttributeOid = "1.2.840.113549.1.9.16.2.56";
using pki::kExporterLabel;
using pki::kExporterLength;

enum class ChannelBindingType { tls_exporter, tls_unique };

struct ChannelBinding {
    ChannelBindingType type = ChannelBindingType::tls_exporter;
    pki::Bytes value;
};

// The binding of the server's side of `peer`'s connection, as read after
// its handshake. An error (status 426) when the connection cannot carry
// one: no TLS, TLS 1.2 without Extended Master Secret, or older TLS.
Result<ChannelBinding> server_channel_binding(const pki::PeerIdentity& peer);

// Verifies the CSR's channel binding against the connection it arrived on.
// A binding the CSR carries is always verified, required or not (RFC 7030
// §3.5: in EST, challengePassword means the binding). Errors carry the
// audit code est_auth_failed_channel_binding and the inner reason first in
// the message ("channel binding missing|mismatch|unavailable: ..."):
//   400  required and absent
//   409  present and different from this connection's (or malformed)
//   426  required or present, and this connection cannot carry it (a
//        tls-exporter attribute over TLS 1.2 included)
// Values are compared with constant_time_equal.
Status check_channel_binding(const pki::Csr& csr, const pki::PeerIdentity& peer, bool required);

// A request that came through a TLS-terminating proxy: its connection to
// estd is the proxy's, so no binding can be checked on it. The 400 (audit
// code est_auth_failed_channel_binding) for a profile that requires one,
// saying `detail`.
Error channel_binding_through_proxy(const std::string& detail);
// Through such a proxy, a CSR carrying a binding (made for the client's own
// connection to the proxy) is refused with that 400 rather than compared
// with the proxy's connection, which would look like an attack (409).
Status check_no_channel_binding_through_proxy(const pki::Csr& csr);

// Whether csrattrs must list challengePassword (RFC 7030 §3.5, §4.5) for
// this profile: when it requires channel binding.
bool requires_challenge_password(const config::EstProfileConfig& profile);

}  // namespace estd::auth
