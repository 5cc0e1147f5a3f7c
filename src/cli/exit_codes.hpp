#pragma once

#include "estd/core/error.hpp"

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

inline int exit_code_for(const Error& error) {
    switch (error.kind) {
        case ErrorKind::input:
            return kExitUsage;
        case ErrorKind::network:
        case ErrorKind::tls:
            return kExitNetwork;
        case ErrorKind::http:
            if (error.remote_status >= 400 && error.remote_status < 500) {
                return kExitHttp4xx;
            }
            return error.remote_status >= 500 ? kExitHttp5xx : kExitFailure;
        case ErrorKind::protocol:  // a 2xx answer that is not EST
        default:                   // a server-side kind: a local failure of estctl's own
            return kExitFailure;
    }
}

}  // namespace estd::cli
