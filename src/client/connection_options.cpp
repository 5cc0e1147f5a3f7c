#include "estd/client/connection_options.hpp"

#include <string>

#include "estd/core/version.hpp"

namespace estd::client {

https::ConnectionOptions connection_options() {
    https::ConnectionOptions options;
    options.user_agent = std::string("estctl/") + kVersion;
    return options;
}

}  // namespace estd::client
