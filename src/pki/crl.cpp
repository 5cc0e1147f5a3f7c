#include "estd/pki/crl.hpp"

#include <array>
#include <ctime>
#include <utility>

#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/openssl_error.hpp"

namespace estd::pki {
namespace {

using X509CrlPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;
using X509RevokedPtr = OpenSslPtr<X509_REVOKED, X509_REVOKED_free>;
using Asn1EnumeratedPtr = OpenSslPtr<ASN1_ENUMERATED, ASN1_ENUMERATED_free>;

constexpr std::array<std::pair<std::string_view, int>, 9> kReasons = {{
    {"unspecified", 0},
    {"keyCompromise", 1},
    {"cACompromise", 2},
    {"affiliationChanged", 3},
    {"superseded", 4},
    {"cessationOfOperation", 5},
    {"certificateHold", 6},
    {"privilegeWithdrawn", 9},
    {"aACompromise", 10},
}};

Error crl_error(const std::string& what) {
    return Error::internal("CRL: " + what + ": " + drain_openssl_errors());
}

Asn1TimePtr asn1_time(std::chrono::system_clock::time_point time) {
    return Asn1TimePtr(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(time)));
}

Asn1IntegerPtr serial_integer(const std::string& hex) {
    BIGNUM* raw = nullptr;
    if (BN_hex2bn(&raw, hex.c_str()) == 0) {
        return nullptr;
    }
    const BignumPtr bn(raw);
    return Asn1IntegerPtr(BN_to_ASN1_INTEGER(bn.get(), nullptr));
}

Status add_entry(X509_CRL* crl, const CrlEntryInput& entry) {
    X509RevokedPtr revoked(X509_REVOKED_new());
    const auto serial = serial_integer(entry.serial_hex);
    const auto when = asn1_time(entry.revoked_at);
    if (!revoked || !serial || !when ||
        !X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) ||
        !X509_REVOKED_set_revocationDate(revoked.get(), when.get())) {
        return crl_error("cannot add serial " + entry.serial_hex);
    }
    if (entry.reason != 0) {
        Asn1EnumeratedPtr reason(ASN1_ENUMERATED_new());
        if (!reason || !ASN1_ENUMERATED_set(reason.get(), entry.reason) ||
            X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, reason.get(), 0, 0) != 1) {
            return crl_error("cannot add the reason of serial " + entry.serial_hex);
        }
    }
    if (X509_CRL_add0_revoked(crl, revoked.get()) != 1) {
        return crl_error("cannot add serial " + entry.serial_hex);
    }
    (void)revoked.release();  // owned by the CRL now
    return Ok{};
}

Status add_crl_extensions(X509_CRL* crl, X509* ca, std::uint64_t number) {
    Asn1IntegerPtr crl_number(ASN1_INTEGER_new());
    if (!crl_number || !ASN1_INTEGER_set_uint64(crl_number.get(), number) ||
        X509_CRL_add1_ext_i2d(crl, NID_crl_number, crl_number.get(), 0, 0) != 1) {
        return crl_error("cannot add the CRL number");
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca, nullptr, nullptr, crl, 0);
    X509ExtensionPtr aki(
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (!aki || X509_CRL_add_ext(crl, aki.get(), -1) != 1) {
        return crl_error(
            "cannot add the authority key identifier (does the CA certificate "
            "have a subjectKeyIdentifier?)");
    }
    return Ok{};
}

}  // namespace

std::optional<int> parse_crl_reason(std::string_view name) {
    for (const auto& [text, code] : kReasons) {
        if (text == name) {
            return code;
        }
    }
    return std::nullopt;
}

std::string_view crl_reason_name(int code) {
    for (const auto& [text, value] : kReasons) {
        if (value == code) {
            return text;
        }
    }
    return "unspecified";
}

Result<Bytes> build_crl(const CrlContent& content, X509* ca, EVP_PKEY* key) {
    X509CrlPtr crl(X509_CRL_new());
    const auto this_update = asn1_time(content.this_update);
    const auto next_update = asn1_time(content.next_update);
    if (!crl || !this_update || !next_update ||
        !X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca)) ||
        !X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) ||
        !X509_CRL_set1_nextUpdate(crl.get(), next_update.get())) {
        return crl_error("cannot start the CRL");
    }
    for (const auto& entry : content.revoked) {
        if (auto added = add_entry(crl.get(), entry); !added) {
            return std::move(added).take_error();
        }
    }
    X509_CRL_sort(crl.get());
    if (auto extended = add_crl_extensions(crl.get(), ca, content.number); !extended) {
        return std::move(extended).take_error();
    }
    EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
    if (!md_ctx ||
        EVP_DigestSignInit(md_ctx.get(), nullptr, signature_digest_for(key), nullptr, key) != 1 ||
        X509_CRL_sign_ctx(crl.get(), md_ctx.get()) <= 0) {
        return crl_error("cannot sign");
    }
    unsigned char* raw = nullptr;
    const int length = i2d_X509_CRL(crl.get(), &raw);
    if (length <= 0) {
        return crl_error("cannot encode");
    }
    const OpenSslBuffer<unsigned char> der(raw);
    return Bytes(der.get(), der.get() + length);
}

}  // namespace estd::pki
