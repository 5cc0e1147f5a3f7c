// serverkeygen answers: the multipart split, the key part's protection and
// the CMS decryption of an enveloped key.
#include <algorithm>

#include <climits>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "estd/client/encoding.hpp"
#include "estd/client/est_client.hpp"
#include "estd/client/multipart.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/openssl_error.hpp"
#include "estd/pki/pkcs7.hpp"

namespace estd::client {

namespace {

using Pkcs8Ptr = pki::OpenSslPtr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;

// Overwrites key material before its buffer goes away.
struct WipedBytes {
    pki::Bytes bytes;
    ~WipedBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

pki::CmsPtr parse_cms(std::span<const std::uint8_t> der) {
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return nullptr;
    }
    const unsigned char* cursor = der.data();
    pki::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(der.size())));
    ERR_clear_error();
    return cms;
}

int cms_type(std::span<const std::uint8_t> der) {
    auto cms = parse_cms(der);
    return cms ? OBJ_obj2nid(CMS_get0_type(cms.get())) : NID_undef;
}

enum class PartRole { key_plain, key_enveloped, certificates, unknown };

PartRole role_of(const MimePart& part, std::span<const std::uint8_t> der) {
    const ContentType type = parse_content_type(part.header("Content-Type"));
    const int nid = cms_type(der);
    if (type.media_type == "application/pkcs8") {
        // The guide's product labels its enveloped key application/pkcs8.
        return nid == NID_pkcs7_enveloped ? PartRole::key_enveloped : PartRole::key_plain;
    }
    if (type.media_type != "application/pkcs7-mime") {
        return PartRole::unknown;
    }
    std::string smime = type.parameter("smime-type");
    std::transform(smime.begin(), smime.end(), smime.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (smime == "server-generated-key") {
        return PartRole::key_enveloped;
    }
    if (smime == "certs-only") {
        return PartRole::certificates;
    }
    if (nid == NID_pkcs7_enveloped) {
        return PartRole::key_enveloped;
    }
    return nid == NID_pkcs7_signed ? PartRole::certificates : PartRole::unknown;
}

Result<pki::EvpPkeyPtr> parse_private_key_pem(std::span<const std::uint8_t> text) {
    pki::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    pki::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!key) {
        return Error::protocol("the decrypted content is not a PEM private key");
    }
    return key;
}

// RFC 7030 §4.4.2 wraps the key in SignedData before enveloping it; the
// guide's product does not. Unwrap when it is there.
std::optional<WipedBytes> signed_data_content(std::span<const std::uint8_t> der) {
    auto cms = parse_cms(der);
    if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
        return std::nullopt;
    }
    ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
    if (content == nullptr || *content == nullptr) {
        return std::nullopt;
    }
    const auto* data = ASN1_STRING_get0_data(*content);
    return WipedBytes{pki::Bytes(data, data + ASN1_STRING_length(*content))};
}

Result<pki::EvpPkeyPtr> key_from_content(std::span<const std::uint8_t> content, int depth) {
    if (auto key = parse_private_key_der(content)) {
        return key;
    }
    const std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
    if (text.find("-----BEGIN") != std::string_view::npos) {
        return parse_private_key_pem(content);
    }
    if (auto inner = signed_data_content(content); inner && depth < 2) {
        return key_from_content(inner->bytes, depth + 1);
    }
    return Error::protocol(
        "the decrypted content is not a private key (PKCS#8, PEM or SignedData)");
}

}  // namespace

Result<pki::EvpPkeyPtr> parse_private_key_der(std::span<const std::uint8_t> der) {
    if (der.empty() || der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return Error::protocol("empty private key");
    }
    const unsigned char* cursor = der.data();
    Pkcs8Ptr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, static_cast<long>(der.size())));
    pki::EvpPkeyPtr key(info ? EVP_PKCS82PKEY(info.get()) : nullptr);
    if (!key) {
        cursor = der.data();
        key.reset(d2i_AutoPrivateKey(nullptr, &cursor, static_cast<long>(der.size())));
    }
    ERR_clear_error();
    if (!key) {
        return Error::protocol("not a DER private key (PKCS#8)");
    }
    return key;
}

Result<ServerKeygenResult> parse_serverkeygen_response(std::string_view content_type,
                                                       std::string_view body) {
    auto parts = parse_multipart(content_type, body);
    if (!parts) {
        return std::move(parts).take_error();
    }
    ServerKeygenResult result;
    bool have_key = false;
    bool have_certs = false;
    for (const auto& part : *parts) {
        auto der = decode_payload(part.body, "serverkeygen part");
        if (!der) {
            return std::move(der).take_error();
        }
        const PartRole role = role_of(part, *der);
        if (role == PartRole::certificates && !have_certs) {
            auto certs = pki::parse_certs_only_der(*der);
            if (!certs) {
                return Error::protocol("serverkeygen certificate part: " + certs.error().message);
            }
            result.certificates = std::move(certs).value();
            have_certs = true;
        } else if ((role == PartRole::key_plain || role == PartRole::key_enveloped) && !have_key) {
            result.protection =
                role == PartRole::key_plain ? KeyProtection::plain_pkcs8 : KeyProtection::enveloped;
            result.key_der = std::move(der).value();
            have_key = true;
        } else {
            return Error::protocol("serverkeygen answer has an unexpected part (Content-Type \"" +
                                   part.header("Content-Type") + "\")");
        }
    }
    if (!have_key || !have_certs) {
        return Error::protocol(
            "serverkeygen answer needs one private-key part and one certificate part");
    }
    return result;
}

Result<pki::EvpPkeyPtr> decrypt_enveloped_key(std::span<const std::uint8_t> enveloped,
                                              EVP_PKEY* recipient_key, X509* certificate) {
    if (recipient_key == nullptr) {
        return Error::input("decrypting the key needs the CSR's private key");
    }
    if (cms_type(enveloped) != NID_pkcs7_enveloped) {
        return Error::protocol("the key part is not a CMS EnvelopedData");
    }
    std::vector<X509*> recipients;
    if (certificate != nullptr &&
        pki::same_public_key(X509_get0_pubkey(certificate), recipient_key)) {
        recipients.push_back(certificate);
    }
    recipients.push_back(nullptr);  // any recipient the key opens
    for (X509* recipient : recipients) {
        auto cms = parse_cms(enveloped);
        pki::BioPtr out(BIO_new(BIO_s_mem()));
        if (CMS_decrypt(cms.get(), recipient_key, recipient, nullptr, out.get(), 0) != 1) {
            ERR_clear_error();
            continue;
        }
        char* data = nullptr;
        const long length = BIO_get_mem_data(out.get(), &data);
        WipedBytes content{pki::Bytes(data, data + std::max(length, 0L))};
        OPENSSL_cleanse(data, static_cast<std::size_t>(std::max(length, 0L)));
        return key_from_content(content.bytes, 0);
    }
    return Error::input(
        "cannot decrypt the enveloped key with this private key (is it the CSR's key?)");
}

}  // namespace estd::client
