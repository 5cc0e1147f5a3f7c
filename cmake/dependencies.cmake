# The libraries estd's rooms use, found once for the project and for the fuzz
# build (fuzz/CMakeLists.txt), which builds the same rooms with clang.
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(nlohmann_json 3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(Threads REQUIRED)
# libp11 (Debian libp11-dev): the pkcs11 issuer's access to PKCS#11 tokens.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBP11 REQUIRED IMPORTED_TARGET libp11)
# libpq (Debian libpq-dev): the store on a PostgreSQL server (CERTCTL_DATABASE_URL).
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
