#pragma once

#include "estd/https/connection.hpp"

namespace estd::client {

// How estctl, estd-bench and the tests connect unless told otherwise: they
// name themselves estctl/<version> (a server may lay out its base64 answers
// by the User-Agent, as estd's `automatic` layout does).
https::ConnectionOptions connection_options();

}  // namespace estd::client
