#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (once) and print the path of a Debian chroot whose nft and
# iptables write rules for the writer matrix (tests/writers/run).
#
#   tests/writers/chroot.sh SUITE     e.g. bullseye, trixie
#
# The chroot lives in $WRITERS_CACHE/SUITE (default: $CTSWEEP_TEST_CACHE,
# else /var/cache/ctsweep-test, + /writers) and is reused when present.  It
# is built in a directory of its own and renamed into place only once
# debootstrap has finished and both tools ran, so a half-made chroot is
# never used; a failed build leaves nothing under the final name.
set -e

suite=${1:?usage: tests/writers/chroot.sh SUITE}
case $suite in
*[!a-z]* | "") echo "chroot.sh: bad suite name '$suite'" >&2; exit 2 ;;
esac
cache=${WRITERS_CACHE:-${CTSWEEP_TEST_CACHE:-/var/cache/ctsweep-test}/writers}
dir=$cache/$suite
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -f "$dir/.ctsweep-complete" ]; then
	echo "$dir"
	exit 0
fi
command -v debootstrap >/dev/null ||
	{ echo "chroot.sh: debootstrap missing (scripts/deps.sh test)" >&2; exit 2; }
mkdir -p "$cache"
# One builder per suite at a time: a second one waits, then finds it done.
exec 9>"$cache/.$suite.lock"
flock 9
if [ -f "$dir/.ctsweep-complete" ]; then
	echo "$dir"
	exit 0
fi
tmp=$(mktemp -d "$cache/.$suite.build.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf --one-file-system "$tmp" "$tmp.log"' EXIT
echo "chroot.sh: debootstrap $suite into $tmp (a few minutes, once)" >&2
debootstrap --variant=minbase --include=nftables,iptables \
	"$suite" "$tmp" "$mirror" >"$tmp.log" 2>&1 ||
	{ tail -n 20 "$tmp.log" >&2; rm -f "$tmp.log"; exit 1; }
rm -f "$tmp.log"
chroot "$tmp" nft --version >/dev/null
chroot "$tmp" iptables-legacy --version >/dev/null
chroot "$tmp" iptables-nft --version >/dev/null
touch "$tmp/.ctsweep-complete"
rm -rf --one-file-system "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir"
