#pragma once

#include <string>

#include <openssl/ssl.h>

namespace estd::net {

// What the handler may know about the connection a request arrived on.
// `ssl` is borrowed: valid only for the duration of the handler call, and
// null when a request is handled without a socket (unit tests, fuzzers).
struct ConnectionInfo {
    std::string peer_address;  // textual IP of the TCP peer
    SSL* ssl = nullptr;
};

}  // namespace estd::net
