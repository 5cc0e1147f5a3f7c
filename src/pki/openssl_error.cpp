#include "estd/pki/openssl_error.hpp"

#include <array>

#include <openssl/err.h>

namespace estd::pki {

std::string drain_openssl_errors() {
    std::string text;
    const char* data = nullptr;
    int flags = 0;
    while (const unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
        std::array<char, 256> buffer{};
        ERR_error_string_n(code, buffer.data(), buffer.size());
        if (!text.empty()) {
            text += "; ";
        }
        text += buffer.data();
        if (data != nullptr && *data != '\0' && (flags & ERR_TXT_STRING) != 0) {
            text += " (";
            text += data;
            text += ")";
        }
    }
    if (text.empty()) {
        text = "no OpenSSL error detail";
    }
    return text;
}

}  // namespace estd::pki
