#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 49-miniupnpd-nft with Debian 12's miniupnpd-iptables 2.3.1: the same
# clients, moves and checks, with miniupnpd's chains from its
# iptables_init.sh (tests/peers/miniupnpd-iptables.rules, verbatim) in
# iptables-legacy, which miniupnpd writes through libiptc.  The router's
# filter table is lib-legacy.sh's stateful one, its masquerade a legacy
# MASQUERADE out of wan; the router holds no nftables rule.  Besides its
# DNAT in nat MINIUPNPD, this build adds a port-keeping
# "-s HOST --sport PORT -j MASQUERADE --to-ports EXT" to
# MINIUPNPD-POSTROUTING for every mapping, which the judge must model.
# shellcheck disable=SC2034 # read by lib-upnp.sh
UPNP_BACKEND=iptables
. "$(dirname "$0")/49-miniupnpd-nft.sh"
