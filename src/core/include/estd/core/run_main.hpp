#pragma once

#include <cstdio>
#include <exception>

namespace estd {

// Runs a program's main body so that no exception leaves main. Failures are
// values in this code base, so an exception that reaches this far is a defect
// (or std::bad_alloc): it is named on stderr and `failure` becomes the exit
// status, instead of an abort.
template <class Body>
int run_main(const char* program, int failure, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: fatal: %s\n", program, e.what());
    } catch (...) {
        std::fprintf(stderr, "%s: fatal: an unknown exception\n", program);
    }
    return failure;
}

}  // namespace estd
