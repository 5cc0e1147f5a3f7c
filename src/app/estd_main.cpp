#include "estd/core/version.hpp"

#include <cstdio>

int main() {
    std::printf("estd %s\n", estd::kVersion);
    return 0;
}
