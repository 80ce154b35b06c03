#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages ctsweep needs.  Does nothing when they are
# all there.
#
#   deps.sh        build, unit tests and the demo
#   deps.sh test   also the tools whose rules the namespace tests judge
#   deps.sh ci     also what CI runs beyond make check
#   deps.sh kernels  also the kernel matrix's (make check-kernels)
set -e

PKGS="build-essential pkg-config libmnl-dev libnetfilter-conntrack-dev
libnftnl-dev libiptc-dev libcmocka-dev libcap-ng-dev
nftables iptables conntrack iproute2 socat tcpdump procps kmod jq valgrind"

# The peers' tools run for real, inside namespaces the tests create: the
# CNI plugins (tests/netns/43), Podman's network backend netavark (46),
# firewalld with a dbus-daemon of its own (47), nfacct for kube-proxy's
# iptables counters (41), conntrackd and keepalived for a router pair
# (35, bench/pair), with their configurations under the test's own
# temporary directory.  (valgrind is in the list above:
# tests/netns/31-watch-valgrind.sh runs the daemon under it.)
TEST_PKGS="nfacct containernetworking-plugins netavark firewalld dbus-daemon
dbus-bin conntrackd keepalived"

# The kernel matrix (tests/kernels): Debian's kernels booted under qemu
# with a busybox initramfs; apt fetches the kernels, depmod indexes them.
KERNEL_PKGS="qemu-system-x86 busybox-static apt kmod xz-utils zstd"

# Packages that ship a service: installed for the tests, they must not
# start on the host (firewalld would take over the host's firewall).
DAEMONS="firewalld conntrackd keepalived"

case "${1:-}" in
"") ;;
test) PKGS="$PKGS $TEST_PKGS" ;;
ci) PKGS="$PKGS $TEST_PKGS clang libclang-rt-14-dev dpkg-dev debhelper
bash-completion fakeroot $KERNEL_PKGS" ;;
kernels) PKGS="$PKGS $TEST_PKGS $KERNEL_PKGS" ;;
*) echo "usage: scripts/deps.sh [test|ci|kernels]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "ctsweep: missing packages:$missing" >&2
	echo "ctsweep: run 'sudo make deps' (or apt-get install them)" >&2
	exit 2
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive

# Keep the services of what is installed now from starting (Debian's
# invoke-rc.d asks policy-rc.d); an existing policy is left alone.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# ... nor at the next boot.  (keepalived's unit needs
# /etc/keepalived/keepalived.conf, which the package does not ship;
# conntrackd's default configuration is a statistics logger of every
# destroyed flow of the host, which nothing here needs.)
for d in $DAEMONS; do
	case " $missing " in
	*" $d "*)
		command -v systemctl >/dev/null 2>&1 &&
			systemctl disable --now "$d" >/dev/null 2>&1 || true ;;
	esac
done
[ -z "$own_policy" ] || rm -f "$policy"
