#pragma once

#include <string>

namespace estd::pki {

// Drains OpenSSL's thread-local error queue into one readable line.
std::string drain_openssl_errors();

}  // namespace estd::pki
