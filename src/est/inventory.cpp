// EstService and the store: recording what was issued, refusing what was
// revoked.

#include <spdlog/spdlog.h>

#include "estd/audit/audit_codes.hpp"
#include "estd/est/est_service.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/crl.hpp"
#include "estd/pki/digest.hpp"
#include "mtls_refusal.hpp"

namespace estd::est {
namespace {

std::string fingerprint(const pki::Bytes& der) {
    return pki::sha256_hex(der);
}

std::string fingerprint(X509* cert) {
    return fingerprint(pki::certificate_der(cert));
}

std::string public_key_hash(X509* cert) {
    // The SubjectPublicKeyInfo as the certificate carries it: i2d_PUBKEY on
    // the decoded key would run it through the OpenSSL 3 encoder.
    const auto der = pki::public_key_info_der(X509_get_X509_PUBKEY(cert));
    return der.empty() ? std::string{} : pki::sha256_hex(der);
}

// How the caller authenticated, as far as the record needs to say.
std::string auth_mode(const EstProfile& profile, const RequestContext& ctx) {
    if (ctx.client_certificate && ctx.client_certificate->present() && profile.config.auth_mtls) {
        return "mtls";
    }
    if (profile.config.auth_basic) {
        return "basic";
    }
    return profile.config.auth_mtls ? "mtls" : "anonymous";
}

// The client certificate's row; fails closed (503) when the store cannot
// be read, so a revoked certificate never passes then.
Result<std::optional<store::CertificateRecord>> find_client_certificate(
    store::CertificateInventory& store, X509* cert) {
    auto found = store.find_by_fingerprint(fingerprint(cert));
    if (!found) {
        spdlog::error("client certificate lookup: {}", found.error().message);
        return Error{ErrorKind::unavailable, std::string(audit::codes::kAuthFailedMtls),
                     "the revocation status of the client certificate cannot be checked now; "
                     "try again"};
    }
    return found;
}

Status check_row_not_revoked(const store::CertificateRecord& row) {
    if (row.revocation) {
        return mtls_refusal("the client certificate (serial " + row.serial + ") is revoked: " +
                            std::string(pki::crl_reason_name(row.revocation->reason)));
    }
    return Ok{};
}

}  // namespace

Status EstService::check_not_revoked(X509* cert) const {
    if (store_ == nullptr) {
        return Ok{};
    }
    auto found = find_client_certificate(*store_, cert);
    if (!found) {
        return std::move(found).take_error();
    }
    return *found ? check_row_not_revoked(**found) : Status{Ok{}};
}

// Which profile issued a certificate is known only to the inventory: the
// certificate itself names only the CA, which other profiles may share.
Status EstService::check_issued_through(const EstProfile& profile, X509* cert) const {
    const std::string name = "EST profile \"" + profile.config.display_name() + "\"";
    const bool has_bundle = profile.auth->mtls_trust != nullptr;
    if (store_ == nullptr) {
        for (const auto& other : profiles_) {
            if (&other != &profile && other.config.issuer_id == profile.config.issuer_id) {
                return mtls_refusal("without an inventory store, " + name +
                                    " cannot tell its certificates from those of EST profile \"" +
                                    other.config.display_name() + "\", which shares issuer " +
                                    profile.config.issuer_id +
                                    (has_bundle
                                         ? ": it renews only certificates chaining to its trust "
                                           "bundle"
                                         : ": it renews none"));
            }
        }
        return Ok{};
    }
    auto found = find_client_certificate(*store_, cert);
    if (!found) {
        return std::move(found).take_error();
    }
    if (!*found) {
        return mtls_refusal(
            "the inventory has no record of the certificate being renewed (serial " +
            pki::serial_hex(cert) + "): " + name + " renews only certificates it issued" +
            (has_bundle ? ", or ones chaining to its trust bundle" : ""));
    }
    const store::CertificateRecord& row = **found;
    if (auto live = check_row_not_revoked(row); !live) {
        return live;
    }
    if (row.est_profile != profile.config.path_id) {
        return mtls_refusal("the certificate being renewed (serial " + row.serial +
                            ") was issued through EST profile \"" +
                            (row.est_profile.empty() ? "(legacy root)" : row.est_profile) +
                            "\", not " + name + ": renew it there");
    }
    return Ok{};
}

std::optional<store::CertificateRecord> EstService::inventory_row(const EstProfile& profile,
                                                                  const RequestContext& ctx,
                                                                  X509* cert) const {
    if (store_ == nullptr) {
        return std::nullopt;
    }
    store::CertificateRecord record;
    record.issuer_id = profile.issuer->id();
    record.serial = pki::serial_hex(cert);
    // Encoded once: a certificate just signed has no cached encoding.
    record.der = pki::certificate_der(cert);
    record.fingerprint = fingerprint(record.der);
    record.est_profile = profile.config.path_id;
    record.profile_id = profile.config.profile_id;
    record.subject = pki::name_to_string(X509_get_subject_name(cert));
    record.common_name = pki::common_name(X509_get_subject_name(cert));
    record.subject_alt_names = pki::subject_alt_names(cert);
    record.not_before = pki::not_before(cert);
    record.not_after = pki::not_after(cert);
    record.public_key_sha256 = public_key_hash(cert);
    record.auth_mode = auth_mode(profile, ctx);
    record.source_ip = ctx.client_ip;
    record.request_id = ctx.request_id;
    record.issued_at = std::chrono::system_clock::now();
    return record;
}

}  // namespace estd::est
