#pragma once

#include "est_options.hpp"

namespace estd::cli {

// `estctl est test`: cacerts → csrattrs → enroll → reenroll against one
// profile, one PASS/FAIL/SKIP line per step. Exit code of the first failure.
int run_est_test(const EstOptions& options);

}  // namespace estd::cli
