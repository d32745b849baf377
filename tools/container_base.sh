#!/usr/bin/env bash
# A base image for the Containerfile built from Debian's packages, for machines that reach
# Debian's mirror but no container registry:
#   tools/container_base.sh [TAG]        (default TAG: localhost/marketdesk-base:bookworm)
#   podman build --build-arg BASE_IMAGE=localhost/marketdesk-base:bookworm -t marketdesk -f Containerfile .
# Needs root, debootstrap and podman (apt-get install debootstrap podman).
set -euo pipefail
tag="${1:-localhost/marketdesk-base:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$root" "$mirror" >/dev/null
# the package lists and caches are not needed in the image
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
echo "$tag"
