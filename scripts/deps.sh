#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages ctsweep needs.  Does nothing when they are
# all there.
#
#   deps.sh        build, unit tests and the demo
#   deps.sh test   also the tools whose rules the namespace tests judge
#   deps.sh ci     also what CI runs beyond make check
#   deps.sh image  also podman, buildah and debootstrap (make image)
#   deps.sh kernels  also the kernel matrix's (make check-kernels)
set -e

PKGS="build-essential pkg-config libmnl-dev libnetfilter-conntrack-dev
libnftnl-dev libiptc-dev libcmocka-dev libcap-ng-dev libmicrohttpd-dev
nftables iptables conntrack iproute2 socat tcpdump procps kmod jq valgrind
curl"

# The peers' tools run for real, inside namespaces the tests create: the
# CNI plugins (tests/netns/43), Podman's network backend netavark (46),
# firewalld with a dbus-daemon of its own (47), nfacct for kube-proxy's
# iptables counters (41), conntrackd and keepalived for a router pair
# (35, bench/pair), with their configurations under the test's own
# temporary directory.  (valgrind is in the list above:
# tests/netns/31-watch-valgrind.sh runs the daemon under it.)  The UPnP
# IGD and NAT-PMP clients (miniupnpc, natpmpc) and the libraries of both
# miniupnpd builds are for tests/netns/49 and 50 (see UNPACK below).
# debootstrap makes the Debian 11 and 13 chroots whose nft and iptables
# write the rules of the writer matrix (make check-writers, tests/writers/).
TEST_PKGS="nfacct containernetworking-plugins netavark firewalld dbus-daemon
dbus-bin conntrackd keepalived miniupnpc natpmpc libmnl0 libnftnl11
libip4tc2 libip6tc2 debootstrap"

# Packages the tests need side by side although they conflict, so they
# are unpacked (dpkg-deb -x), not installed: Debian's miniupnpd-nftables
# and miniupnpd-iptables (one binary each, /usr/sbin/miniupnpd; their
# libraries are in TEST_PKGS).  Unpacking runs no maintainer script and
# registers no service.  Each goes to $UNPACK_DIR/PACKAGE, with the
# package's version in PACKAGE/.version; tests/netns/lib-upnp.sh runs
# the binaries from there.
UNPACK="miniupnpd-nftables miniupnpd-iptables"
UNPACK_DIR=${CTSWEEP_TEST_CACHE:-/var/cache/ctsweep-test}

# The kernel matrix (tests/kernels): Debian's kernels booted under qemu
# with a busybox initramfs; apt fetches the kernels, depmod indexes them.
KERNEL_PKGS="qemu-system-x86 busybox-static apt kmod xz-utils zstd"

# Packages that ship a service: installed for the tests, they must not
# start on the host (firewalld would take over the host's firewall).
DAEMONS="firewalld conntrackd keepalived"

case "${1:-}" in
"") UNPACK="" ;;
test) PKGS="$PKGS $TEST_PKGS" ;;
ci) PKGS="$PKGS $TEST_PKGS clang libclang-rt-14-dev dpkg-dev debhelper
bash-completion fakeroot yamllint $KERNEL_PKGS" ;;
image) PKGS="$PKGS podman buildah debootstrap" ;;
kernels) PKGS="$PKGS $TEST_PKGS $KERNEL_PKGS" ;;
*) echo "usage: scripts/deps.sh [test|ci|image|kernels]" >&2; exit 2 ;;
esac

# unpack_missing: the packages of UNPACK not unpacked yet.
unpack_missing()
{
	for p in $UNPACK; do
		[ -x "$UNPACK_DIR/$p/usr/sbin/miniupnpd" ] &&
			[ -s "$UNPACK_DIR/$p/.version" ] || printf ' %s' "$p"
	done
}

# unpack P...: apt-get download each package into a directory of our own
# and unpack it into $UNPACK_DIR/P (replacing what was there).
unpack()
{
	tmp=$(mktemp -d)
	# apt-get download fetches as _apt where it can.
	chown _apt "$tmp" 2>/dev/null || true
	for p in "$@"; do
		(cd "$tmp" && apt-get download -qq "$p") || {
			rm -rf "$tmp"
			echo "ctsweep: cannot download $p" >&2
			exit 1
		}
		deb=$(ls "$tmp/${p}_"*.deb)
		rm -rf "${UNPACK_DIR:?}/$p"
		mkdir -p "$UNPACK_DIR/$p"
		dpkg-deb -x "$deb" "$UNPACK_DIR/$p"
		dpkg-deb -f "$deb" Version >"$UNPACK_DIR/$p/.version"
		echo "unpacked $p $(cat "$UNPACK_DIR/$p/.version") into $UNPACK_DIR/$p"
	done
	rm -rf "$tmp"
}

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
unpack_todo=$(unpack_missing)
[ -z "$missing" ] && [ -z "$unpack_todo" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	[ -z "$missing" ] || echo "ctsweep: missing packages:$missing" >&2
	[ -z "$unpack_todo" ] ||
		echo "ctsweep: not unpacked in $UNPACK_DIR:$unpack_todo" >&2
	echo "ctsweep: run 'sudo scripts/deps.sh${1:+ $1}' (or apt-get install them)" >&2
	exit 2
fi
if [ -z "$missing" ]; then
	apt-get update -qq
	# shellcheck disable=SC2086
	unpack $unpack_todo
	exit 0
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
# shellcheck disable=SC2086
[ -z "$unpack_todo" ] || unpack $unpack_todo
