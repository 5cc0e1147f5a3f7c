#pragma once

#include "estd/client/error.hpp"

namespace estd::cli {

// estctl's exit codes: scripts branch on these, so they never change meaning.
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,  // local failure, or a server answer that is not EST
    kExitUsage = 2,    // bad arguments or unusable input files
    kExitNetwork = 3,  // resolve, connect, TLS handshake, channel binding, timeout
    kExitHttp4xx = 4,
    kExitHttp5xx = 5,
    kExitPending = 6,  // 202: the server will decide later (Retry-After)
};

inline int exit_code_for(const client::ClientError& error) {
    switch (error.kind) {
        case client::ErrorKind::input:
            return kExitUsage;
        case client::ErrorKind::network:
        case client::ErrorKind::tls:
            return kExitNetwork;
        case client::ErrorKind::http:
            if (error.http_status >= 400 && error.http_status < 500) {
                return kExitHttp4xx;
            }
            return error.http_status >= 500 ? kExitHttp5xx : kExitFailure;
        case client::ErrorKind::protocol:
            return kExitFailure;
    }
    return kExitFailure;
}

}  // namespace estd::cli
