#include "estd/pki/certificate.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include <climits>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "estd/core/hex.hpp"
#include "estd/pki/openssl_error.hpp"

namespace estd::pki {

namespace {

struct FileCloser {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};

Result<std::string> read_whole_file(const std::string& path) {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        return Error::internal("cannot read " + path + ": " +
                               std::generic_category().message(errno));
    }
    std::string content;
    std::array<char, 8192> buffer{};
    std::size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
        content.append(buffer.data(), got);
    }
    if (std::ferror(file.get()) != 0) {
        return Error::internal("cannot read " + path + ": " +
                               std::generic_category().message(errno));
    }
    return content;
}

bool looks_like_pem(std::string_view text) {
    return text.find("-----BEGIN ") != text.npos;
}

BioPtr memory_bio(std::string_view data) {
    return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

// Never prompt on the terminal for a passphrase: a daemon has nobody to ask.
int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
    return -1;
}

std::string asn1_string_text(const ASN1_STRING* string) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(string)),
                       static_cast<std::size_t>(ASN1_STRING_length(string)));
}

std::string object_text(const ASN1_OBJECT* object) {
    std::array<char, 128> buffer{};
    const int length = OBJ_obj2txt(buffer.data(), static_cast<int>(buffer.size()), object, 1);
    return length > 0 ? std::string(buffer.data()) : std::string("?");
}

std::string ip_address_text(const ASN1_OCTET_STRING* address) {
    const int length = ASN1_STRING_length(address);
    const unsigned char* bytes = ASN1_STRING_get0_data(address);
    std::array<char, INET6_ADDRSTRLEN> buffer{};
    if (length == 4 && inet_ntop(AF_INET, bytes, buffer.data(), buffer.size()) != nullptr) {
        return buffer.data();
    }
    if (length == 16 && inet_ntop(AF_INET6, bytes, buffer.data(), buffer.size()) != nullptr) {
        return buffer.data();
    }
    return to_hex(std::span(bytes, static_cast<std::size_t>(std::max(length, 0))));
}

std::string general_name_text(const GENERAL_NAME* name) {
    switch (name->type) {
        case GEN_DNS:
            return "DNS:" + asn1_string_text(name->d.dNSName);
        case GEN_IPADD:
            return "IP:" + ip_address_text(name->d.iPAddress);
        case GEN_EMAIL:
            return "email:" + asn1_string_text(name->d.rfc822Name);
        case GEN_URI:
            return "URI:" + asn1_string_text(name->d.uniformResourceIdentifier);
        case GEN_DIRNAME:
            return "DirName:" + name_to_string(name->d.directoryName);
        case GEN_RID:
            return "RID:" + object_text(name->d.registeredID);
        case GEN_OTHERNAME:
            return "othername:" + object_text(name->d.otherName->type_id);
        case GEN_X400:
            return "X400Name:";
        case GEN_EDIPARTY:
            return "EdiPartyName:";
        default:
            return "unknown:";
    }
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
    using namespace std::chrono;
    std::tm parts{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
        return system_clock::time_point{};
    }
    const sys_days date = year{parts.tm_year + 1900} /
                          month{static_cast<unsigned>(parts.tm_mon + 1)} /
                          day{static_cast<unsigned>(parts.tm_mday)};
    const sys_seconds instant =
        date + hours{parts.tm_hour} + minutes{parts.tm_min} + seconds{parts.tm_sec};
    // system_clock counts nanoseconds and ends in 2262; RFC 5280's
    // "no expiry" date 9999-12-31 must not wrap around.
    constexpr auto latest = floor<seconds>(system_clock::time_point::max());
    constexpr auto earliest = ceil<seconds>(system_clock::time_point::min());
    if (instant > latest) {
        return system_clock::time_point::max();
    }
    if (instant < earliest) {
        return system_clock::time_point::min();
    }
    return system_clock::time_point{instant};
}

// Takes an i2d_* result: its buffer is freed, its bytes copied.
Bytes owned_der(unsigned char* der, int length) {
    const OpenSslBuffer<unsigned char> owned(der);
    if (length <= 0) {
        ERR_clear_error();
        return {};
    }
    return Bytes(der, der + length);
}

}  // namespace

Result<std::vector<X509Ptr>> parse_certificates_pem(std::string_view pem) {
    if (pem.size() > static_cast<std::size_t>(INT_MAX)) {
        return Error::bad_request("certificate PEM is too large");
    }
    ERR_clear_error();
    const BioPtr bio = memory_bio(pem);
    std::vector<X509Ptr> certs;
    while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr)}) {
        certs.push_back(std::move(cert));
    }
    const unsigned long last_error = ERR_peek_last_error();
    const bool reached_end =
        ERR_GET_LIB(last_error) == ERR_LIB_PEM && ERR_GET_REASON(last_error) == PEM_R_NO_START_LINE;
    if (last_error != 0 && !reached_end) {
        return Error::bad_request("certificate " + std::to_string(certs.size() + 1) +
                                  " in the PEM text is corrupt: " + drain_openssl_errors());
    }
    ERR_clear_error();
    if (certs.empty()) {
        return Error::bad_request("no PEM CERTIFICATE block found");
    }
    return certs;
}

Result<std::vector<X509Ptr>> load_certificates_file(const std::string& path) {
    auto content = read_whole_file(path);
    if (!content) {
        return std::move(content).take_error();
    }
    if (!looks_like_pem(*content)) {
        auto cert = parse_certificate_der(
            {reinterpret_cast<const std::uint8_t*>(content->data()), content->size()});
        if (!cert) {
            return Error::internal(path +
                                   " holds neither PEM certificates nor one DER certificate");
        }
        std::vector<X509Ptr> certs;
        certs.push_back(std::move(cert).value());
        return certs;
    }
    auto certs = parse_certificates_pem(*content);
    if (!certs) {
        return Error::internal(path + ": " + certs.error().message);
    }
    return certs;
}

Result<EvpPkeyPtr> load_private_key_file(const std::string& path) {
    auto content = read_whole_file(path);
    if (!content) {
        return std::move(content).take_error();
    }
    ERR_clear_error();
    EvpPkeyPtr key;
    if (looks_like_pem(*content)) {
        const BioPtr bio = memory_bio(*content);
        key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
    } else {
        const auto* cursor = reinterpret_cast<const unsigned char*>(content->data());
        key.reset(d2i_AutoPrivateKey(nullptr, &cursor, static_cast<long>(content->size())));
    }
    if (!key) {
        const std::string detail = drain_openssl_errors();
        if (content->find("ENCRYPTED") != std::string::npos) {
            return Error::internal(path +
                                   " holds an encrypted private key; estd reads unencrypted "
                                   "keys only (protect the file with its permissions)");
        }
        return Error::internal(path + " holds no readable private key: " + detail);
    }
    return key;
}

Result<X509Ptr> parse_certificate_der(std::span<const std::uint8_t> der) {
    if (der.empty() || der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return Error::bad_request("certificate is empty or too large");
    }
    const unsigned char* cursor = der.data();
    X509Ptr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
    if (!cert) {
        ERR_clear_error();
        return Error::bad_request("certificate is not valid DER (truncated or garbage)");
    }
    if (cursor != der.data() + der.size()) {
        return Error::bad_request("certificate DER is followed by trailing data");
    }
    return cert;
}

Bytes certificate_der(X509* cert) {
    const int length = i2d_X509(cert, nullptr);
    if (length <= 0) {
        return {};
    }
    Bytes der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    i2d_X509(cert, &cursor);
    return der;
}

std::string certificate_pem(X509* cert) {
    const BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
        return {};
    }
    return bio_contents(bio.get());
}

std::string name_to_string(const X509_NAME* name) {
    if (name == nullptr) {
        return {};
    }
    const BioPtr bio(BIO_new(BIO_s_mem()));
    // UTF-8 stays readable instead of being escaped byte by byte.
    constexpr unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) {
        return {};
    }
    return bio_contents(bio.get());
}

std::string common_name(const X509_NAME* name) {
    if (name == nullptr) {
        return {};
    }
    // The last CN is the most specific one when a name carries several.
    int index = -1;
    for (int next = X509_NAME_get_index_by_NID(name, NID_commonName, -1); next >= 0;
         next = X509_NAME_get_index_by_NID(name, NID_commonName, next)) {
        index = next;
    }
    if (index < 0) {
        return {};
    }
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    const OpenSslBuffer<unsigned char> owned(utf8);
    if (length < 0) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
}

std::string integer_hex(const ASN1_INTEGER* value) {
    const BignumPtr number(ASN1_INTEGER_to_BN(value, nullptr));
    if (!number) {
        return {};
    }
    if (BN_is_zero(number.get())) {
        return "0";
    }
    Bytes magnitude(static_cast<std::size_t>(BN_num_bytes(number.get())));
    BN_bn2bin(number.get(), magnitude.data());
    return (BN_is_negative(number.get()) != 0 ? "-" : "") + to_hex(magnitude);
}

std::string serial_hex(const X509* cert) {
    return integer_hex(X509_get0_serialNumber(cert));
}

std::chrono::system_clock::time_point not_after(const X509* cert) {
    return to_time_point(X509_get0_notAfter(cert));
}

std::chrono::system_clock::time_point not_before(const X509* cert) {
    return to_time_point(X509_get0_notBefore(cert));
}

bool is_ca(X509* cert) {
    // 1 means basicConstraints CA:TRUE and, when keyUsage is present, keyCertSign:
    // the other positive answers (v1 roots, Netscape types) cannot issue today.
    return X509_check_ca(cert) == 1;
}

std::vector<std::string> subject_alt_names(const GENERAL_NAMES* names) {
    std::vector<std::string> texts;
    if (names == nullptr) {
        return texts;
    }
    const int count = sk_GENERAL_NAME_num(names);
    texts.reserve(static_cast<std::size_t>(std::max(count, 0)));
    for (int i = 0; i < count; ++i) {
        texts.push_back(general_name_text(sk_GENERAL_NAME_value(names, i)));
    }
    return texts;
}

std::vector<std::string> subject_alt_names(X509* cert) {
    const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    return subject_alt_names(names.get());
}

bool same_public_key(EVP_PKEY* a, EVP_PKEY* b) {
    if (a == nullptr || b == nullptr) {
        return false;
    }
    const bool same = EVP_PKEY_eq(a, b) == 1;
    ERR_clear_error();  // a type mismatch leaves an error behind
    return same;
}

Bytes public_key_info_der(const X509_PUBKEY* info) {
    unsigned char* der = nullptr;
    const int length = i2d_X509_PUBKEY(info, &der);
    return owned_der(der, length);
}

Bytes public_key_info_der(const EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int length = i2d_PUBKEY(key, &der);
    return owned_der(der, length);
}

std::string chain_position(std::size_t index) {
    return "#" + std::to_string(index + 1);
}

Status check_chain_order(const std::string& prefix, const std::string& path,
                         const std::vector<X509Ptr>& chain) {
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
        if (X509_check_issued(chain[i + 1].get(), chain[i].get()) != X509_V_OK) {
            return Error::internal(prefix + "certificate " + chain_position(i + 1) + " in " + path +
                                   " did not issue certificate " + chain_position(i) +
                                   "; list the issuing CA first, then each issuer up to the root");
        }
    }
    return Ok{};
}

namespace {

// True when `key` verifies `cert`'s signature.
bool signed_by(X509* cert, EVP_PKEY* key) {
    const bool verified = X509_verify(cert, key) == 1;
    ERR_clear_error();
    return verified;
}

}  // namespace

Status check_rollover_certificates(const std::string& prefix, const std::string& path,
                                   const std::string& chain_path, const std::vector<X509Ptr>& chain,
                                   const std::vector<X509Ptr>& rollover) {
    const std::string in = prefix + "rollover certificates in " + path + ": ";
    if (chain.empty() || rollover.empty()) {
        return Error::internal(in + "no certificate to check");
    }
    X509* root = chain.back().get();
    EVP_PKEY* root_key = X509_get0_pubkey(root);
    const std::string root_name = name_to_string(X509_get_subject_name(root));
    if (X509_check_issued(root, root) != X509_V_OK || !signed_by(root, root_key)) {
        return Error::internal(in +
                               "they link the root CA to another root key, but the last "
                               "certificate of " +
                               chain_path + " (" + root_name +
                               ") is not a self-signed root: end the chain with the root CA");
    }
    // The other root's key, as the chain's root certifies it.
    EVP_PKEY* other_key = nullptr;
    for (const auto& cert : rollover) {
        EVP_PKEY* key = X509_get0_pubkey(cert.get());
        if (key != nullptr && !same_public_key(key, root_key) &&
            X509_check_issued(root, cert.get()) == X509_V_OK && signed_by(cert.get(), root_key)) {
            other_key = key;
            break;
        }
    }
    if (other_key == nullptr) {
        return Error::internal(
            in + "none of them is a certificate for another root key issued by the root CA " +
            root_name + " (the last certificate of " + chain_path +
            "): a root key update publishes the new root key signed by the old one (NewWithOld) "
            "and the old root key signed by the new one (OldWithNew)");
    }
    for (std::size_t i = 0; i < rollover.size(); ++i) {
        X509* cert = rollover[i].get();
        const std::string which = "certificate " + chain_position(i) + " (" +
                                  name_to_string(X509_get_subject_name(cert)) + ")";
        if (!is_ca(cert)) {
            return Error::internal(in + which + " is not a CA certificate");
        }
        EVP_PKEY* key = X509_get0_pubkey(cert);
        if (same_public_key(key, root_key)) {
            if (!signed_by(cert, other_key)) {
                return Error::internal(in + which +
                                       " carries the root CA's key but is not signed by the "
                                       "other root key: it is no OldWithNew/NewWithOld link");
            }
        } else if (same_public_key(key, other_key)) {
            if (!signed_by(cert, root_key) && !signed_by(cert, other_key)) {
                return Error::internal(in + which +
                                       " carries the other root key but is signed neither by "
                                       "the root CA " +
                                       root_name + " nor by that key itself");
            }
        } else {
            return Error::internal(in + which +
                                   " carries neither the root CA's key nor the other root key "
                                   "of the update: only the link certificates and the other "
                                   "root belong here");
        }
    }
    return Ok{};
}

}  // namespace estd::pki
