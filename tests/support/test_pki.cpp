#include "support/test_pki.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/openssl_error.hpp"
#include "support/csr_extras.hpp"

namespace estd::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("test PKI: " + what + ": " + pki::drain_openssl_errors());
}

template <class Ptr>
Ptr require(Ptr ptr, const std::string& what) {
    if (!ptr) {
        fail(what);
    }
    return ptr;
}

void require(bool ok, const std::string& what) {
    if (!ok) {
        fail(what);
    }
}

std::string join(const std::vector<std::string>& parts) {
    std::string joined;
    for (const auto& part : parts) {
        joined += (joined.empty() ? "" : ",") + part;
    }
    return joined;
}

void add_certificate_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
    const pki::X509ExtensionPtr extension(
        X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    require(extension != nullptr && X509_add_ext(cert, extension.get(), -1) == 1,
            "adding extension " + value);
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

pki::EvpPkeyPtr make_ec_key(const char* curve) {
    return require(pki::EvpPkeyPtr(EVP_EC_gen(curve)), "generating an EC key");
}

pki::EvpPkeyPtr make_rsa_key(unsigned bits) {
    return require(pki::EvpPkeyPtr(EVP_RSA_gen(bits)), "generating an RSA key");
}

pki::EvpPkeyPtr make_ed25519_key() {
    return require(pki::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")),
                   "generating an Ed25519 key");
}

pki::EvpPkeyPtr make_key(const char* type) {
    return require(pki::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, type)),
                   std::string("generating an ") + type + " key");
}

pki::EvpPkeyPtr make_rsa_key_with_exponent(unsigned bits, unsigned long exponent) {
    const pki::BignumPtr e(BN_new());
    require(e && BN_set_word(e.get(), exponent) == 1, "setting the exponent");
    if (exponent != 1 && exponent % 2 == 1) {
        const pki::EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
        EVP_PKEY* key = nullptr;
        require(context && EVP_PKEY_keygen_init(context.get()) == 1 &&
                    EVP_PKEY_CTX_set_rsa_keygen_bits(context.get(), static_cast<int>(bits)) == 1 &&
                    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(context.get(), e.get()) == 1 &&
                    EVP_PKEY_keygen(context.get(), &key) == 1,
                "generating an RSA key with e = " + std::to_string(exponent));
        return pki::EvpPkeyPtr(key);
    }
    // e = 1 signs with d = 1 (the signature is the padded digest itself);
    // an even e has no private exponent: the key is public only.
    const pki::EvpPkeyPtr base = make_rsa_key(bits);
    BIGNUM* n = nullptr;
    require(EVP_PKEY_get_bn_param(base.get(), "n", &n) == 1, "reading the modulus");
    const pki::BignumPtr modulus(n);
    using ParamBuilderPtr = pki::OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
    using ParamsPtr = pki::OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;
    const ParamBuilderPtr builder(OSSL_PARAM_BLD_new());
    const bool pair = exponent == 1;
    require(builder && OSSL_PARAM_BLD_push_BN(builder.get(), "n", modulus.get()) == 1 &&
                OSSL_PARAM_BLD_push_BN(builder.get(), "e", e.get()) == 1 &&
                (!pair || OSSL_PARAM_BLD_push_BN(builder.get(), "d", e.get()) == 1),
            "building RSA parameters");
    const ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
    const pki::EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* key = nullptr;
    require(params && context && EVP_PKEY_fromdata_init(context.get()) == 1 &&
                EVP_PKEY_fromdata(context.get(), &key,
                                  pair ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) == 1,
            "making an RSA key with e = " + std::to_string(exponent));
    return pki::EvpPkeyPtr(key);
}

pki::X509Ptr make_certificate(const std::string& common_name, EVP_PKEY* key, X509* issuer_cert,
                              EVP_PKEY* issuer_key, const CaOptions& options) {
    pki::X509Ptr cert = require(pki::X509Ptr(X509_new()), "allocating a certificate");
    require(X509_set_version(cert.get(), X509_VERSION_3) == 1, "setting the version");
    static std::atomic<long> next_serial{1000};
    require(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++next_serial) == 1,
            "setting the serial");
    X509_NAME* subject = X509_get_subject_name(cert.get());
    require(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                       -1, -1, 0) == 1,
            "setting the subject");
    X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
    require(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) == 1,
            "setting the issuer");
    require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), options.not_before_offset.count()) !=
                    nullptr &&
                X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                                (options.not_before_offset + options.lifetime).count()) != nullptr,
            "setting the validity");
    require(X509_set_pubkey(cert.get(), key) == 1, "setting the key");

    if (options.ca) {
        add_certificate_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
        if (options.key_cert_sign) {
            add_certificate_extension(cert.get(), issuer, NID_key_usage,
                                      "critical,keyCertSign,cRLSign");
        } else {
            add_certificate_extension(cert.get(), issuer, NID_key_usage,
                                      "critical,digitalSignature");
        }
    } else {
        add_certificate_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
        add_certificate_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
    }
    if (!options.subject_alt_names.empty()) {
        add_certificate_extension(cert.get(), issuer, NID_subject_alt_name,
                                  join(options.subject_alt_names));
    }
    if (options.subject_key_id) {
        add_certificate_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
    }
    if (issuer_cert != nullptr || options.subject_key_id) {
        add_certificate_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid");
    }
    EVP_PKEY* signer = issuer_key != nullptr ? issuer_key : key;
    require(X509_sign(cert.get(), signer, pki::signature_digest_for(signer)) > 0,
            "signing the certificate");
    return cert;
}

pki::X509Ptr make_self_signed_ca(const std::string& common_name, EVP_PKEY* key, int days) {
    CaOptions options;
    options.lifetime = std::chrono::days(days);
    return make_certificate(common_name, key, nullptr, nullptr, options);
}

pki::X509Ptr make_intermediate(const std::string& common_name, EVP_PKEY* key, X509* issuer_cert,
                               EVP_PKEY* issuer_key, int days) {
    CaOptions options;
    options.lifetime = std::chrono::days(days);
    return make_certificate(common_name, key, issuer_cert, issuer_key, options);
}

pki::Bytes make_csr(EVP_PKEY* key, const CsrOptions& options) {
    ExtendedCsrOptions extended;
    static_cast<CsrOptions&>(extended) = options;
    return make_csr(key, extended);
}

pki::Bytes make_csr(EVP_PKEY* key, const ExtendedCsrOptions& options) {
    const pki::X509ReqPtr req = require(pki::X509ReqPtr(X509_REQ_new()), "allocating a CSR");
    require(X509_REQ_set_version(req.get(), options.version) == 1, "setting the version");
    if (options.raw_common_name) {
        const std::string& cn = *options.raw_common_name;
        require(X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req.get()), NID_commonName,
                                           V_ASN1_UTF8STRING,
                                           reinterpret_cast<const unsigned char*>(cn.data()),
                                           static_cast<int>(cn.size()), -1, 0) == 1,
                "setting a raw commonName");
    } else if (!options.common_name.empty()) {
        require(X509_NAME_add_entry_by_txt(
                    X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                    reinterpret_cast<const unsigned char*>(options.common_name.c_str()), -1, -1,
                    0) == 1,
                "setting the subject");
    }
    for (const auto& [name, value] : options.subject_entries) {
        require(X509_NAME_add_entry_by_txt(
                    X509_REQ_get_subject_name(req.get()), name.c_str(), MBSTRING_UTF8,
                    reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) == 1,
                "adding subject entry " + name);
    }
    require(X509_REQ_set_pubkey(req.get(), key) == 1, "setting the key");

    const pki::X509ExtensionStackPtr extensions(sk_X509_EXTENSION_new_null());
    const auto add_extension = [&](int nid, const std::string& value) {
        pki::X509ExtensionPtr extension = require(
            pki::X509ExtensionPtr(X509V3_EXT_conf_nid(nullptr, nullptr, nid, value.c_str())),
            "making extension " + value);
        require(sk_X509_EXTENSION_push(extensions.get(), extension.get()) > 0,
                "collecting extensions");
        extension.release();
    };
    if (!options.subject_alt_names.empty()) {
        add_extension(NID_subject_alt_name, join(options.subject_alt_names));
    }
    if (!options.raw_names.empty()) {
        const pki::GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
        require(names != nullptr, "allocating names");
        for (const auto& [type, bytes] : options.raw_names) {
            GENERAL_NAME* name = require(GENERAL_NAME_new(), "allocating a name");
            ASN1_STRING* value = type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
            require(value != nullptr &&
                        ASN1_STRING_set(value, bytes.data(), static_cast<int>(bytes.size())) == 1,
                    "setting a raw name");
            GENERAL_NAME_set0_value(name, type, value);
            require(sk_GENERAL_NAME_push(names.get(), name) > 0, "collecting names");
        }
        pki::X509ExtensionPtr extension =
            require(pki::X509ExtensionPtr(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get())),
                    "encoding raw names");
        require(sk_X509_EXTENSION_push(extensions.get(), extension.get()) > 0,
                "collecting extensions");
        extension.release();
    }
    for (const auto& [name, value] : options.extra_extensions) {
        const int nid = OBJ_txt2nid(name.c_str());
        require(nid != NID_undef, "unknown extension " + name);
        add_extension(nid, value);
    }
    if (sk_X509_EXTENSION_num(extensions.get()) > 0) {
        require(X509_REQ_add_extensions(req.get(), extensions.get()) == 1, "adding extensions");
    }
    if (!options.second_extension_request.empty()) {
        const pki::X509ExtensionStackPtr second(sk_X509_EXTENSION_new_null());
        for (const auto& [name, value] : options.second_extension_request) {
            pki::X509ExtensionPtr extension =
                require(pki::X509ExtensionPtr(X509V3_EXT_conf_nid(
                            nullptr, nullptr, OBJ_txt2nid(name.c_str()), value.c_str())),
                        "making extension " + value);
            require(sk_X509_EXTENSION_push(second.get(), extension.get()) > 0,
                    "collecting extensions");
            extension.release();
        }
        // The library refuses a second attribute of the same type; Microsoft's
        // extension request OID is read as one all the same.
        require(X509_REQ_add_extensions_nid(req.get(), second.get(), NID_ms_ext_req) == 1,
                "adding a second extensionRequest");
    }
    if (options.challenge_password) {
        const std::string& password = *options.challenge_password;
        require(X509_REQ_add1_attr_by_NID(req.get(), NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(password.data()),
                                          static_cast<int>(password.size())) == 1,
                "adding challengePassword");
    }
    for (const auto& [oid, value] : options.octet_string_attributes) {
        using Asn1ObjectPtr = pki::OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
        const Asn1ObjectPtr object =
            require(Asn1ObjectPtr(OBJ_txt2obj(oid.c_str(), 1)), "parsing OID " + oid);
        require(X509_REQ_add1_attr_by_OBJ(req.get(), object.get(), V_ASN1_OCTET_STRING,
                                          value.data(), static_cast<int>(value.size())) == 1,
                "adding attribute " + oid);
    }
    for (const auto& [name, value] : options.text_attributes) {
        require(X509_REQ_add1_attr_by_txt(req.get(), name.c_str(), V_ASN1_UTF8STRING,
                                          reinterpret_cast<const unsigned char*>(value.data()),
                                          static_cast<int>(value.size())) == 1,
                "adding attribute " + name);
    }
    const EVP_MD* digest = options.digest.empty() ? pki::signature_digest_for(key)
                                                  : EVP_get_digestbyname(options.digest.c_str());
    require(options.digest.empty() || digest != nullptr, "finding digest " + options.digest);
    require(X509_REQ_sign(req.get(), key, digest) > 0, "signing the CSR");

    const int length = i2d_X509_REQ(req.get(), nullptr);
    require(length > 0, "encoding the CSR");
    pki::Bytes der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    i2d_X509_REQ(req.get(), &cursor);
    return der;
}

pki::Bytes make_csr(EVP_PKEY* key, const std::string& common_name,
                    const std::vector<std::string>& subject_alt_names,
                    std::optional<std::string> challenge_password,
                    std::vector<std::pair<std::string, std::string>> extra_extensions) {
    CsrOptions options;
    options.common_name = common_name;
    options.subject_alt_names = subject_alt_names;
    options.challenge_password = std::move(challenge_password);
    options.extra_extensions = std::move(extra_extensions);
    return make_csr(key, options);
}

std::string private_key_pem(EVP_PKEY* key) {
    const pki::BioPtr bio(BIO_new(BIO_s_mem()));
    require(bio != nullptr && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                                       nullptr) == 1,
            "writing a private key");
    return bio_text(bio.get());
}

std::string certificates_pem(const std::vector<X509*>& certs) {
    const pki::BioPtr bio(BIO_new(BIO_s_mem()));
    require(bio != nullptr, "allocating a BIO");
    for (X509* cert : certs) {
        require(PEM_write_bio_X509(bio.get(), cert) == 1, "writing a certificate");
    }
    return bio_text(bio.get());
}

int verify_certificate(X509* leaf, X509* root, const std::vector<X509*>& intermediates) {
    const pki::X509StorePtr store(X509_STORE_new());
    const pki::X509StackPtr untrusted(sk_X509_new_null());
    const pki::X509StoreCtxPtr context(X509_STORE_CTX_new());
    require(store && untrusted && context && X509_STORE_add_cert(store.get(), root) == 1,
            "preparing verification");
    for (X509* intermediate : intermediates) {
        require(X509_add_cert(untrusted.get(), intermediate, X509_ADD_FLAG_UP_REF) == 1,
                "collecting intermediates");
    }
    require(X509_STORE_CTX_init(context.get(), store.get(), leaf, untrusted.get()) == 1,
            "preparing verification");
    const int verified = X509_verify_cert(context.get());
    const int error = X509_STORE_CTX_get_error(context.get());
    ERR_clear_error();
    return verified == 1 ? X509_V_OK : (error == X509_V_OK ? X509_V_ERR_UNSPECIFIED : error);
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "estd-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("cannot create a temporary directory");
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
    const std::filesystem::path file = path_ / name;
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out) {
            throw std::runtime_error("cannot write " + file.string());
        }
    }
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return file.string();
}

std::string TempDir::write(const std::string& name, const pki::Bytes& content) const {
    return write(name, std::string(content.begin(), content.end()));
}

}  // namespace estd::test
