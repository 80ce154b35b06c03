#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run a rule writer (nft, iptables-nft, iptables-legacy-restore, ...) of
# another Debian release in place of the host's, in the caller's network
# namespace:
#
#   tests/writers/exec.sh ROOT CMD [ARG...]    ROOT from chroot.sh
#
# A private mount namespace binds ROOT's /usr and /etc over the host's
# (both are merged-/usr systems, so /usr holds every program and library
# and /etc its alternatives and ld.so.cache): CMD runs with the release's
# own binaries, libraries and xtables extensions, and still sees the
# host's /tmp, /proc, the source tree (rules files given by path, nft's
# include) and /run/xtables.lock, which the host's iptables take too.
# CMD is looked up in the release's sbin and bin only, never in $PATH, so
# a wrapper named like it (tests/netns/lib.sh's) is not found again.
root=${1:?usage: exec.sh ROOT CMD [ARG...]}
shift
[ -f "$root/.ctsweep-complete" ] && [ -L "$root/lib" ] || {
	echo "exec.sh: $root is not a finished merged-/usr chroot" >&2
	exit 2
}
exec unshare --mount --propagation private /bin/sh -c '
	mount --bind "$0/etc" /etc && mount --bind "$0/usr" /usr || exit 125
	PATH=/usr/sbin:/usr/bin
	exec "$@"' "$root" "$@"
