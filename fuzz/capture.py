#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Capture real ctnetlink and rtnetlink dump replies as fuzz seeds.

Run as root; it works in a throwaway network namespace of its own
(ctsweep-fuzzcap-PID), makes a few conntrack entries there with real
traffic (UDP, TCP, ICMP, IPv4 and IPv6, a DNAT and an SNAT flow) plus
`conntrack -I`, then dumps
  - conntrack (IPCTNL_MSG_CT_GET, both families): each datagram to
    fuzz/corpus/ct/, and each single message too;
  - links, addresses, routes and qdiscs (RTM_GETLINK/GETADDR/GETROUTE/
    GETQDISC, with a clsact qdisc on d0): each dump to fuzz/corpus/route/,
    and all four concatenated.
"""
import hashlib
import os
import socket
import struct
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(TOP, "fuzz/corpus")
NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
NLMSG_DONE = 3


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def dump(proto, mtype, payload):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
    s.bind((0, 0))
    s.send(struct.pack("=IHHII", 16 + len(payload), mtype,
                       NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + payload)
    datagrams = []
    while True:
        d = s.recv(1 << 20)
        datagrams.append(d)
        off, done = 0, False
        while off + 16 <= len(d):
            ln, t = struct.unpack_from("=IH", d, off)
            if t == NLMSG_DONE or t == 2:
                done = True
            off += (ln + 3) & ~3
        if done:
            break
    s.close()
    return datagrams


def msgs(d):
    off = 0
    while off + 16 <= len(d):
        ln = struct.unpack_from("=I", d, off)[0]
        yield d[off:off + ln]
        off += (ln + 3) & ~3


def inside():
    sh = lambda c: subprocess.run(c, shell=True, check=False,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
    sh("ip link set lo up")
    sh("ip link add d0 type dummy; ip link set d0 up;"
       "ip addr add 192.0.2.1/24 dev d0; ip addr add 2001:db8::1/64 dev d0 nodad;"
       "ip route add 198.51.100.0/24 via 192.0.2.2 metric 5;"
       "ip route add 203.0.113.0/24 nexthop via 192.0.2.3 nexthop via 192.0.2.4;"
       "ip -6 route add 2001:db8:1::/64 via 2001:db8::2;"
       "tc qdisc add dev d0 clsact")
    sh("nft -f - <<'EOF'\n"
       "table ip nat {\n"
       " chain out { type nat hook output priority -100; udp dport 9999 dnat to 127.0.0.2:9998; }\n"
       " chain post { type nat hook postrouting priority 100; ip daddr 192.0.2.9 udp dport 7 snat to 192.0.2.1:40000; }\n"
       "}\n"
       "table inet f {\n"
       " chain o { type filter hook output priority 0; ct state new accept; }\n"
       "}\nEOF")
    sh("conntrack -I -p udp -s 203.0.113.10 -d 203.0.113.1 --sport 51820 "
       "--dport 53820 -t 100 --reply-src 192.168.50.2 --reply-port-src 51820 "
       "--reply-dst 203.0.113.10 --reply-port-dst 51820 -u SEEN_REPLY,ASSURED "
       "-m 7 -w 3")
    sh("conntrack -I -p tcp -s 10.0.0.1 -d 10.0.0.2 --sport 1000 --dport 80 "
       "--state ESTABLISHED -t 100 -u ASSURED")
    sh("bash -c 'for p in 9999 53 123; do echo x >/dev/udp/127.0.0.1/$p; done;"
       " echo x >/dev/udp/::1/53; echo x > /dev/udp/192.0.2.9/7'")
    sh("ping -c1 -W1 127.0.0.1; ping -6 -c1 -W1 ::1")
    for fam in (socket.AF_INET, socket.AF_INET6, 0):
        for d in dump(NETLINK_NETFILTER, (1 << 8) | 1,
                      struct.pack("=BBH", fam, 0, 0)):
            put("ct", d)
            for m in msgs(d):
                put("ct", m)
    alld = b""
    for t in (18, 22, 26, 38):  # GETLINK GETADDR GETROUTE GETQDISC
        ds = dump(socket.NETLINK_ROUTE, t,
                  bytes({18: 16, 38: 20}.get(t, 12)))
        for d in ds:
            put("route", d)
            alld += d
    put("route", alld)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        inside()
        return 0
    ns = "ctsweep-fuzzcap-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        return subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                               os.path.abspath(__file__), "--inside"]).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    sys.exit(main())
