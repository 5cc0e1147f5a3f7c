#!/usr/bin/env bash
# Builds Cisco libest (estclient and the example estserver) from the source
# tarball beside the project (../shared/thirdparty/libest/, never downloaded)
# into DEST. Cached: a second run with the same tarball does nothing.
#   build-libest.sh TARBALL DEST
# Patches, each needed on Debian 12 (see ../shared/thirdparty/libest/README.md):
#  - FIPS_mode()/FIPS_mode_set() are gone from OpenSSL 3.0: mapped to the
#    EVP_default_properties_* calls;
#  - the example server listens on every interface: bound to loopback.
set -euo pipefail

tarball=$1
dest=$2
stamp="$dest/.built-from"
want="$(sha256sum "$tarball" | cut -d' ' -f1) $(sha256sum "$0" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -x "$dest/bin/estclient" ] && [ -x "$dest/bin/estserver" ]; then
  exit 0
fi

rm -rf "$dest"
mkdir -p "$dest/src"
tar -xJf "$tarball" -C "$dest/src" --strip-components=1
cd "$dest/src"

sed -i 's/FIPS_mode()/EVP_default_properties_is_fips_enabled(NULL)/g' \
  src/est/est_client.c src/est/est_server.c
sed -i 's/FIPS_mode_set(1)/EVP_default_properties_enable_fips(NULL, 1)/g' \
  example/server/estserver.c example/client/estclient.c
# The tarball leaves java/ out; configure still lists its (unused) Makefile.
mkdir -p java/jni && printf 'all:\ninstall:\n' >java/jni/Makefile.in
# Loopback only: getaddrinfo(NULL, ..., AI_PASSIVE) is the wildcard address.
sed -i 's/rc = getaddrinfo(NULL, portstr, &hints, &aiptr);/rc = getaddrinfo(family == AF_INET6 ? "::1" : "127.0.0.1", portstr, \&hints, \&aiptr);/' \
  example/util/simple_server.c
grep -q '"127.0.0.1", portstr' example/util/simple_server.c || {
  echo "build-libest: the loopback patch of simple_server.c did not apply" >&2
  exit 1
}

export CFLAGS="-O1 -g0 -Wno-error -Wno-deprecated-declarations -w"
# Static: the binaries run from anywhere. The examples' utils.c defines a
# function the static library defines too.
export LDFLAGS="-Wl,--allow-multiple-definition"
./configure --quiet --prefix="$dest" --disable-safec --with-uriparser-dir=/usr \
  --disable-shared --enable-static >"$dest/configure.log" 2>&1 || {
  tail -30 "$dest/configure.log" >&2
  exit 1
}
# safe_c_stub, the library, estclient and the example server only.
{ make -j"${LIBEST_JOBS:-2}" -C safe_c_stub && make -j"${LIBEST_JOBS:-2}" -C src && make -j"${LIBEST_JOBS:-2}" -C example/client &&
  make -j"${LIBEST_JOBS:-2}" -C example/server; } >"$dest/make.log" 2>&1 || {
  tail -40 "$dest/make.log" >&2
  exit 1
}
install -d "$dest/bin"
install -m 755 example/client/estclient example/server/estserver "$dest/bin/"
echo "$want" >"$stamp"
