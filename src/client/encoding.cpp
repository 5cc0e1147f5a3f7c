#include "estd/client/encoding.hpp"

#include <algorithm>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "estd/pki/base64.hpp"

namespace estd::client {

std::string base64_one_line(std::span<const std::uint8_t> data) {
    std::string text = pki::base64_encode_lines(data);
    std::erase_if(text, [](char c) { return c == '\r' || c == '\n'; });
    return text;
}

std::string pem_encode(std::string_view label, std::span<const std::uint8_t> der) {
    pki::BioPtr bio(BIO_new(BIO_s_mem()));
    const std::string name(label);
    PEM_write_bio(bio.get(), name.c_str(), "", der.data(), static_cast<long>(der.size()));
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

Result<pki::Bytes> pem_decode(std::string_view text, std::string_view label) {
    const std::string begin = "-----BEGIN " + std::string(label) + "-----";
    const std::string end = "-----END " + std::string(label) + "-----";
    const auto first = text.find(begin);
    const auto last = first == std::string_view::npos ? first : text.find(end, first);
    if (last == std::string_view::npos) {
        return Error::input("no " + std::string(label) + " PEM block");
    }
    const auto body = text.substr(first + begin.size(), last - first - begin.size());
    auto der = pki::base64_decode_lenient(body);
    if (!der || der->empty()) {
        return Error::input("the " + std::string(label) + " PEM block is not valid base64");
    }
    return std::move(*der);
}

Result<pki::Bytes> decode_payload(std::string_view body, std::string_view what) {
    if (const auto begin = body.find("-----BEGIN "); begin != std::string_view::npos) {
        const auto label_start = begin + 11;
        const auto label_end = body.find("-----", label_start);
        if (label_end != std::string_view::npos) {
            auto der = pem_decode(body, body.substr(label_start, label_end - label_start));
            if (der) {
                return der;
            }
        }
    }
    if (auto der = pki::base64_decode_lenient(body); der && !der->empty()) {
        return std::move(*der);
    }
    // Binary DER from servers that ignore RFC 8951's base64.
    if (!body.empty() && static_cast<unsigned char>(body.front()) == 0x30) {
        return pki::Bytes(body.begin(), body.end());
    }
    return Error::protocol("the " + std::string(what) + " is neither base64, PEM nor DER");
}

}  // namespace estd::client
