#!/usr/bin/env bash
# Builds localhost/estd:<version> (and :latest) from this checkout with
# deploy/Containerfile, making the Debian base first when it is missing.
#
# Usage: deploy/container/build.sh [extra podman-build arguments...]
#   CONTAINER_ENGINE  podman (default) or docker
#   ESTD_IMAGE        image name (default localhost/estd)
#   BASE_IMAGE        base image (default localhost/estd-base:bookworm, made by base.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."

engine=${CONTAINER_ENGINE:-podman}
image=${ESTD_IMAGE:-localhost/estd}
base=${BASE_IMAGE:-localhost/estd-base:bookworm}

version=$(sed -n 's/^project(estd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  revision="$revision-dirty"
fi
source_url=$(git remote get-url origin 2>/dev/null || echo unknown)

if ! "$engine" image exists "$base" 2>/dev/null && ! "$engine" image inspect "$base" >/dev/null 2>&1; then
  case "$base" in
    localhost/*) CONTAINER_ENGINE=$engine deploy/container/base.sh "$base" ;;
  esac
fi

format=()
if [ "$engine" = podman ]; then format=(--format docker); fi  # keeps HEALTHCHECK
"$engine" build "${format[@]}" -f deploy/Containerfile \
  --build-arg BASE_IMAGE="$base" \
  --build-arg ESTD_VERSION="$version" \
  --build-arg ESTD_REVISION="$revision" \
  --build-arg ESTD_SOURCE="$source_url" \
  --build-arg ESTD_CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -t "$image:$version" -t "$image:latest" "$@" .
echo "build.sh: $image:$version"
