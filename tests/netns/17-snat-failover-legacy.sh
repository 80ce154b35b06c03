#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 16-snat-failover with the static source NAT in iptables-legacy (a host
# with an nftables filter table and legacy nat rules):
#   -A POSTROUTING -o wan0 -j SNAT --to-source 203.0.113.1
#   -A POSTROUTING -o wan1 -j SNAT --to-source 198.51.100.1
# Same failover, same proof: blackholed until ctsweep sweeps it.
# shellcheck disable=SC2034 # read by 16-snat-failover.sh
SNAT_FW=legacy
. "$(dirname "$0")/16-snat-failover.sh"
