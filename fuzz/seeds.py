#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the seed corpora under fuzz/corpus/ from the unit test fixtures.

  nft   tests/unit/fixtures/*.nlbin (real nft_capture() output)
  ipt   tests/unit/fixtures/*.iptbin (real IPT_SO_GET_ENTRIES tables)
  xt    every match and target blob inside those tables, in fuzz_xt's
        input layout
  opts  command lines
The ct and route corpora come from a live namespace: fuzz/capture.py.
"""
import glob
import hashlib
import os
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(TOP, "tests/unit/fixtures")
CORPUS = os.path.join(TOP, "fuzz/corpus")


def put(target, data, name=None):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def xt_blobs(path):
    """(is_target, family, proto, name, rev, info) of every entry."""
    raw = open(path, "rb").read()
    fam = struct.unpack_from("<I", raw, 8)[0]
    size = struct.unpack_from("<I", raw, 60)[0]
    b = raw[64:64 + size]
    # ipt_entry: ipt_ip (84) nfcache target_offset next_offset comefrom
    # counters; ip6t_entry: ip6t_ip6 (136) ...
    iplen = 84 if fam == 2 else 136
    off = 0
    while off + iplen + 12 <= len(b):
        if fam == 2:
            proto = struct.unpack_from("<H", b, off + 80)[0]
        else:
            proto = struct.unpack_from("<H", b, off + 128)[0]
        toff, noff = struct.unpack_from("<HH", b, off + iplen + 4)
        if noff == 0:
            break
        hdr = iplen + 4 + 4 + 4 + 16
        hdr = (hdr + 7) & ~7
        m = off + hdr
        while m < off + toff:
            msize = struct.unpack_from("<H", b, m)[0]
            if msize < 32:
                break
            name = b[m + 2:m + 31].split(b"\0")[0]
            rev = b[m + 31]
            yield (0, fam, proto, name, rev, b[m + 32:m + msize])
            m += msize
        t = off + toff
        tsize = struct.unpack_from("<H", b, t)[0]
        name = b[t + 2:t + 31].split(b"\0")[0]
        rev = b[t + 31]
        yield (1, fam, proto, name, rev, b[t + 32:t + tsize])
        off += noff


def main():
    for p in sorted(glob.glob(os.path.join(FIX, "*.nlbin"))):
        put("nft", open(p, "rb").read(), os.path.basename(p))
    for p in sorted(glob.glob(os.path.join(FIX, "*.iptbin"))):
        put("ipt", open(p, "rb").read(), os.path.basename(p))
        for tgt, fam, proto, name, rev, info in xt_blobs(p):
            if tgt and name == b"":
                name = b""	# standard target: skip the verdict blobs
                continue
            flags = tgt | (2 if fam == 10 else 0)
            put("xt", bytes([flags, rev, proto & 0xff, len(name)]) + name +
                info)
    cmds = [
        ["status"], ["sweep", "--dry-run", "--json"], ["--netns", "r1",
        "status", "--tcp"], ["-v", "sweep", "--json", "--tcp"],
        ["status", "--netns=r1", "-vv"], ["--help"], ["--version"],
        ["watch", "--resync", "60", "--stats", "/tmp/x.prom"],
        ["watch", "--legacy-poll=500", "--dry-run", "--tcp", "--no-index"],
        ["watch", "--rcvbuf", "4096"], ["--", "status"], ["sweep", "--bogus"],
        ["status", "--json|tcp"], ["--netns"],
    ]
    for c in cmds:
        put("opts", b"\0".join(w.encode() for w in c))
    return 0


if __name__ == "__main__":
    sys.exit(main())
