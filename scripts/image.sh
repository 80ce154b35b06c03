#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the ctsweep image (deploy/container/Containerfile) with podman,
# without any image registry: the Containerfile's Debian 12 base is made
# here with debootstrap (--variant=minbase, from the Debian archive) and
# imported, unless BASE names one already.  `make image` runs this.
#
#   scripts/image.sh            build localhost/ctsweep:VERSION (and :latest)
#   scripts/image.sh --print    only print the podman command prefix (see
#                               podman_cmd below), for tests/image/
#
# Environment: BUILD (default build; the minbase tree is cached in
# $BUILD/image/rootfs), BASE (a Debian 12 image to build on instead),
# MIRROR (Debian mirror, default http://deb.debian.org/debian), IMAGE
# (default localhost/ctsweep).
#
# Podman on a host with hybrid cgroups whose v2 hierarchy holds a
# controller (crun refuses: "cgroups in hybrid mode not supported") runs
# here in a mount namespace of its own where that hierarchy is hidden
# behind an empty tmpfs; nothing changes on the host.  See podman_cmd.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
MIRROR=${MIRROR:-http://deb.debian.org/debian}
IMAGE=${IMAGE:-localhost/ctsweep}
VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
BASE_LOCAL=localhost/ctsweep-base:bookworm-minbase

die()
{
	echo "image: $*" >&2
	exit 2
}

# podman_cmd: how to call podman here, as words on stdout.  On a host
# with cgroup v1 whose v2 hierarchy (/sys/fs/cgroup/unified) has
# controllers, crun cannot run a container at all; in a private mount
# namespace with that directory covered, it can (with --cgroups=disabled
# for run, and with no cgroup limits: the host's cgroup v1 controllers are
# then not used by the container).
podman_cmd()
{
	local v2=/sys/fs/cgroup/unified/cgroup.controllers
	if [ -n "$(cat "$v2" 2>/dev/null)" ] &&
	   [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ]; then
		echo "unshare -m --propagation private sh -c 'mount -t tmpfs -o ro ctsweep-cgv2 /sys/fs/cgroup/unified && exec \"\$0\" \"\$@\"' podman"
	else
		echo podman
	fi
}

if [ "${1:-}" = --print ]; then
	podman_cmd
	exit 0
fi
[ "$(id -u)" = 0 ] || die "run as root (rootful podman; debootstrap)"
command -v podman >/dev/null || die "podman is not installed (scripts/deps.sh image)"
eval "PODMAN=($(podman_cmd))"

if [ -z "${BASE:-}" ]; then
	BASE=$BASE_LOCAL
	if ! "${PODMAN[@]}" image exists "$BASE"; then
		rootfs=$BUILD/image/rootfs
		if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
			command -v debootstrap >/dev/null ||
				die "debootstrap is not installed (scripts/deps.sh image)"
			rm -rf "$rootfs"
			mkdir -p "$BUILD/image"
			echo "image: debootstrap --variant=minbase bookworm ($MIRROR)"
			debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" \
				>"$BUILD/image/debootstrap.log" 2>&1 ||
				die "debootstrap failed, see $BUILD/image/debootstrap.log"
		fi
		echo "image: importing the minbase tree as $BASE"
		tar -C "$rootfs" --numeric-owner -c . |
			"${PODMAN[@]}" import --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
	fi
fi

# RUN steps with chroot isolation: no OCI runtime, so neither crun's
# cgroup check nor its process limits stand in the way of a build.
echo "image: building $IMAGE:$VERSION on $BASE"
"${PODMAN[@]}" build --isolation chroot --network host --pull=never \
	--build-arg "BASE=$BASE" -f "$TOP/deploy/container/Containerfile" \
	-t "$IMAGE:$VERSION" -t "$IMAGE:latest" "$TOP"
# the build stage's image (hundreds of MB), left untagged by the build
"${PODMAN[@]}" images -q --filter label=org.ctsweep.stage=build \
	--filter dangling=true | xargs -r "${PODMAN[@]}" rmi >/dev/null 2>&1 || true
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE:$VERSION")
echo "image: $IMAGE:$VERSION, $size bytes ($((size / 1024)) KiB) uncompressed"
