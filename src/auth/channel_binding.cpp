#include "estd/auth/channel_binding.hpp"

#include <optional>
#include <string>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/auth/constant_time.hpp"
#include "estd/pki/base64.hpp"

namespace estd::auth {
namespace {

Error binding_error(ErrorKind kind, std::string_view reason, const std::string& detail) {
    return Error{kind, std::string(audit::codes::kAuthFailedChannelBinding),
                 "channel binding " + std::string(reason) + ": " + detail};
}

Error missing(const std::string& detail) {
    return binding_error(ErrorKind::bad_request, "missing", detail);
}
Error mismatch(const std::string& detail) {
    return binding_error(ErrorKind::conflict, "mismatch", detail);
}
Error unavailable(const std::string& detail) {
    return binding_error(ErrorKind::tls_upgrade_required, "unavailable", detail);
}

// What a CSR carries. `*_present` is true as soon as the attribute exists,
// even when its value cannot be read: a malformed binding is a wrong one,
// never an absent one.
struct PresentedBinding {
    bool attribute_present = false;
    std::optional<pki::Bytes> attribute;  // raw tls-exporter bytes
    bool password_present = false;
    std::optional<pki::Bytes> password;  // base64-decoded challengePassword
};

PresentedBinding presented_binding(const pki::Csr& csr) {
    PresentedBinding out;
    const pki::OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free> oid(
        OBJ_txt2obj(kChannelBindingAttributeOid, 1));
    out.attribute_present = oid && X509_REQ_get_attr_by_OBJ(csr.get(), oid.get(), -1) >= 0;
    if (out.attribute_present) {
        out.attribute = csr.octet_string_attribute(kChannelBindingAttributeOid);
    }
    out.password_present =
        X509_REQ_get_attr_by_NID(csr.get(), NID_pkcs9_challengePassword, -1) >= 0;
    if (out.password_present) {
        if (auto text = csr.challenge_password()) {
            out.password = pki::base64_decode_lenient(*text);
        }
    }
    ERR_clear_error();
    return out;
}

std::string tls_version_name(const pki::PeerIdentity& peer) {
    return std::string(peer.tls_version_name);
}

}  // namespace

Result<ChannelBinding> server_channel_binding(const pki::PeerIdentity& peer) {
    if (!peer.over_tls()) {
        return unavailable("the request did not arrive over TLS");
    }
    if (peer.tls_version == TLS1_3_VERSION) {
        if (peer.channel_binding.empty()) {
            return unavailable("the TLS exporter is not available on this connection");
        }
        return ChannelBinding{ChannelBindingType::tls_exporter, peer.channel_binding};
    }
    if (peer.tls_version != TLS1_2_VERSION) {
        return unavailable(tls_version_name(peer) + " carries no channel binding; use TLS 1.3");
    }
    if (!peer.extended_master_secret) {
        return unavailable(
            "TLS 1.2 without Extended Master Secret (RFC 7627): tls-unique would not be unique; "
            "use TLS 1.3 or a TLS stack that negotiates extended_master_secret");
    }
    if (peer.channel_binding.empty()) {
        return unavailable("no Finished message to derive tls-unique from");
    }
    return ChannelBinding{ChannelBindingType::tls_unique, peer.channel_binding};
}

Status check_channel_binding(const pki::Csr& csr, const pki::PeerIdentity& peer, bool required) {
    const PresentedBinding presented = presented_binding(csr);
    if (!presented.attribute_present && !presented.password_present) {
        if (!required) {
            return Ok{};
        }
        auto connection = server_channel_binding(peer);
        if (!connection) {
            return std::move(connection).take_error();
        }
        return missing(connection->type == ChannelBindingType::tls_exporter
                           ? "this profile requires the TLS 1.3 exporter (RFC 9266) in the "
                             "CSR: base64 in challengePassword, or attribute " +
                                 std::string(kChannelBindingAttributeOid)
                           : "this profile requires tls-unique (RFC 7030 §3.5) as base64 in "
                             "the CSR's challengePassword");
    }
    auto connection = server_channel_binding(peer);
    if (!connection) {
        return std::move(connection).take_error();
    }
    if (presented.attribute_present) {
        if (connection->type != ChannelBindingType::tls_exporter) {
            return unavailable("attribute " + std::string(kChannelBindingAttributeOid) +
                               " holds a TLS 1.3 exporter value, and this connection is " +
                               tls_version_name(peer));
        }
        if (!presented.attribute) {
            return mismatch("attribute " + std::string(kChannelBindingAttributeOid) +
                            " does not hold a single OCTET STRING");
        }
        if (!constant_time_equal(*presented.attribute, connection->value)) {
            return mismatch("attribute " + std::string(kChannelBindingAttributeOid) +
                            " does not match this TLS connection's exporter (a CSR made for "
                            "another connection?)");
        }
    }
    if (presented.password_present) {
        const char* expected = connection->type == ChannelBindingType::tls_exporter
                                   ? "TLS 1.3 exporter value (RFC 9266)"
                                   : "tls-unique value (RFC 5929)";
        if (!presented.password) {
            return mismatch(std::string("challengePassword is not base64 of a ") + expected);
        }
        if (!constant_time_equal(*presented.password, connection->value)) {
            return mismatch(std::string("challengePassword does not match this TLS "
                                        "connection's ") +
                            expected + " (a CSR made for another connection?)");
        }
    }
    return Ok{};
}

Error channel_binding_through_proxy(const std::string& detail) {
    return binding_error(ErrorKind::bad_request, "unavailable", detail);
}

Status check_no_channel_binding_through_proxy(const pki::Csr& csr) {
    const PresentedBinding presented = presented_binding(csr);
    if (!presented.attribute_present && !presented.password_present) {
        return Ok{};
    }
    return channel_binding_through_proxy(
        "the CSR carries a channel binding (challengePassword or attribute " +
        std::string(kChannelBindingAttributeOid) +
        "), and this request came through a TLS-terminating proxy, so the binding is for the "
        "client's connection to the proxy and cannot be checked: send the CSR without one, or "
        "connect to estd directly");
}

bool requires_challenge_password(const config::EstProfileConfig& profile) {
    return profile.channel_binding_required;
}

}  // namespace estd::auth
