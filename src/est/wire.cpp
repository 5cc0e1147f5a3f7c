#include "estd/est/wire.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "estd/pki/base64.hpp"
#include "estd/pki/pkcs7.hpp"

namespace estd::est {
namespace {

constexpr std::string_view kStrongSwan = "strongswan";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// PEM_read_bio does the PEM parsing (any label, CRLF or LF).
Result<pki::Bytes> decode_pem(std::string_view text) {
    pki::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
        ERR_clear_error();
        return Error::bad_request("request body looks like PEM but no PEM block could be read");
    }
    const pki::OpenSslBuffer<char> name_owner(name);
    const pki::OpenSslBuffer<char> header_owner(header);
    const pki::OpenSslBuffer<unsigned char> data_owner(data);
    return pki::Bytes(data, data + length);
}

}  // namespace

Result<pki::Bytes> decode_request_body(std::string_view body) {
    const std::string_view text = trim(body);
    if (text.empty()) {
        return Error::bad_request("request body is empty: expected a base64-encoded PKCS#10 CSR");
    }
    if (text.starts_with("-----BEGIN")) {
        return decode_pem(text);
    }
    // A DER SEQUENCE starts with 0x30, which is '0' — also a base64 letter;
    // only bytes outside the base64 alphabet say "binary".
    const bool binary = std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return !is_space(c) && (byte < 0x20 || byte > 0x7e);
    });
    if (binary) {
        return pki::Bytes(body.begin(), body.end());
    }
    if (auto der = pki::base64_decode_lenient(text)) {
        return std::move(*der);
    }
    return Error::bad_request("request body is neither base64 nor PEM nor DER");
}

Result<std::string> certs_only_body(const std::vector<X509*>& certs, pki::Base64Layout layout) {
    auto der = pki::certs_only_der(certs);
    if (!der) {
        return std::move(der).take_error();
    }
    return pki::base64_encode(*der, layout);
}

pki::Base64Layout answer_layout(config::Base64LayoutSetting setting, std::string_view user_agent) {
    switch (setting) {
        case config::Base64LayoutSetting::single_line:
            return pki::Base64Layout::single_line;
        case config::Base64LayoutSetting::wrapped:
            return pki::Base64Layout::wrapped;
        case config::Base64LayoutSetting::automatic:
            break;
    }
    const std::string_view agent = trim(user_agent);
    const bool strongswan = std::search(agent.begin(), agent.end(), kStrongSwan.begin(),
                                        kStrongSwan.end(), [](char a, char b) {
                                            return std::tolower(static_cast<unsigned char>(a)) ==
                                                   std::tolower(static_cast<unsigned char>(b));
                                        }) != agent.end();
    return agent.empty() || strongswan ? pki::Base64Layout::single_line
                                       : pki::Base64Layout::wrapped;
}

Base64Answer Base64Answer::of(std::span<const std::uint8_t> der) {
    return Base64Answer{pki::base64_encode_lines(der), pki::base64_encode_single_line(der)};
}

}  // namespace estd::est
