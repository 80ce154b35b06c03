#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages ctsweep needs to build, test and demo.
# Does nothing when they are all there.
set -e

PKGS="build-essential pkg-config libmnl-dev libnetfilter-conntrack-dev
libnftnl-dev libiptc-dev libcmocka-dev libcap-ng-dev
nftables iptables conntrack iproute2 socat tcpdump procps kmod jq valgrind
nfacct containernetworking-plugins netavark conntrackd keepalived"
# (the peers' tools run for real in namespaces: the CNI plugins in
# tests/netns/43-cni-portmap.sh, Podman's network backend
# /usr/lib/podman/netavark in 46-netavark.sh, conntrackd and keepalived
# for a router pair in 35-router-pair.sh and bench/pair, with their own
# configurations under the test's temporary directory.)

# "deps.sh ci": also what CI runs beyond make check: the fuzzers (clang's
# libFuzzer) and the Debian package build.  (valgrind is in the list above:
# tests/netns/31-watch-valgrind.sh runs the daemon under it.)
if [ "${1:-}" = ci ]; then
	PKGS="$PKGS clang libclang-rt-14-dev dpkg-dev debhelper
bash-completion fakeroot"
fi

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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian's conntrackd package enables and starts conntrackd.service with
# its default configuration, a statistics logger (every destroyed flow of
# the host to /var/log/conntrackd-stats.log) that nothing here needs.  If
# this script installed it, that service goes again.  (keepalived's needs
# /etc/keepalived/keepalived.conf, which the package does not ship.)
case " $missing " in
*" conntrackd "*)
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		systemctl disable --now conntrackd.service >/dev/null 2>&1 ||
			echo "note: could not stop conntrackd.service" >&2
	fi
	;;
esac
