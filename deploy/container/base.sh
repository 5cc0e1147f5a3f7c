#!/usr/bin/env bash
# Builds the base image of deploy/Containerfile from Debian's packages, with
# no registry: a minimal Debian 12 (bookworm) root filesystem made by
# mmdebstrap (variant minbase, with bookworm-updates and bookworm-security)
# and imported into podman (or docker) as localhost/estd-base:bookworm.
#
# Usage: deploy/container/base.sh [IMAGE]
#   ESTD_DEBIAN_MIRROR    Debian mirror (default http://deb.debian.org/debian)
#   ESTD_DEBIAN_SECURITY  security mirror (default http://deb.debian.org/debian-security)
#   CONTAINER_ENGINE      podman (default) or docker
# With a registry, skip this and build with
#   --build-arg BASE_IMAGE=docker.io/library/debian:bookworm-slim
set -euo pipefail

image=${1:-localhost/estd-base:bookworm}
engine=${CONTAINER_ENGINE:-podman}
mirror=${ESTD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${ESTD_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Sources given explicitly: mmdebstrap reads them from stdin when no mirror is
# named and stdin is not a terminal (as under ctest).
cat >"$work/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES

# minbase: essential packages and apt only. No documentation, man pages or
# locales in the image (the dpkg path filters stay in it, so packages
# installed later on this base are trimmed the same way); apt's lists and
# caches are removed ($1 in the hook is the root, expanded by mmdebstrap).
# shellcheck disable=SC2016
mmdebstrap --variant=minbase --quiet \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --aptopt='APT::Install-Recommends "false"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm "$work/rootfs.tar" "$work/sources.list" </dev/null

created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$engine" import \
  --change 'CMD ["/bin/bash"]' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL org.opencontainers.image.title=estd-base org.opencontainers.image.description=Debian-12-minbase-from-mmdebstrap org.opencontainers.image.created=$created" \
  --quiet "$work/rootfs.tar" "$image" >/dev/null
echo "base.sh: $image ($("$engine" image inspect --format '{{.Size}}' "$image") bytes)"
