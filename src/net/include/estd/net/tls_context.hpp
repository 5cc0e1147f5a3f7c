#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"

namespace estd::net {

// The listener's TLS context: certificate chain + key from the listener
// settings, TLS 1.3 (or 1.2 when allowed) up to 1.3, ECDHE only, and a client
// certificate that is requested but never required nor validated here (the
// handler verifies it against the profile's own trust store). Errors name
// the file that could not be used.
Result<std::unique_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const config::ListenerConfig& listener);

}  // namespace estd::net
