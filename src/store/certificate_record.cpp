#include "estd/store/certificate_record.hpp"

namespace estd::store {

std::string normalize_serial(std::string_view text) {
    std::string hex;
    for (char c : text) {
        if (c == ':' || c == ' ') {
            continue;
        }
        hex.push_back(c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    const auto first = hex.find_first_not_of('0');
    hex = first == std::string::npos ? std::string("0") : hex.substr(first);
    // Byte-aligned, as pki::serial_hex writes it.
    if (hex.size() % 2 == 1 && hex != "0") {
        hex.insert(hex.begin(), '0');
    }
    return hex;
}

}  // namespace estd::store
