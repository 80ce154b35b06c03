#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the seed corpora under fuzz/corpus/ from the unit test fixtures.

  nft   tests/unit/fixtures/*.nlbin (real nft_capture() output)
  ipt   tests/unit/fixtures/*.iptbin (real IPT_SO_GET_ENTRIES tables)
  xt    every match and target blob inside those tables, in fuzz_xt's
        input layout
  opts  command lines
and fuzz/regressions/nft/bad-*: edge.nlbin with one nest cut short or
padded with zeros, lengths around it fixed up (see nft_bad); libmnl's
lenient walk read each as a shorter ruleset, test_fuzz asserts -EBADMSG.
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
REGRESSIONS = os.path.join(TOP, "fuzz/regressions")
NEWRULE, NEWSETELEM = 0xa06, 0xa0c	# NFNL_SUBSYS_NFTABLES << 8 | msg
RULE_EXPRESSIONS, ELEM_LIST_ELEMENTS, LIST_ELEM, EXPR_DATA = 4, 3, 1, 2


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


def attrs(b, start, end):
    """(offset, type, length) of each attribute in b[start:end]."""
    while start + 4 <= end:
        alen, atype = struct.unpack_from("<HH", b, start)
        yield start, atype & 0x3fff, alen
        start += (alen + 3) & ~3


def find(b, start, end, atype):
    return [a for a in attrs(b, start, end) if a[1] == atype]


def splice(b, msg, outer, at, delta):
    """b with delta zero bytes put in at at (or -delta bytes taken out),
    the lengths of the message at msg and of the attributes at outer
    moved by as much."""
    b = bytearray(b[:at] + bytes(max(delta, 0)) + b[at - min(delta, 0):])
    struct.pack_into("<I", b, msg, struct.unpack_from("<I", b, msg)[0] +
                     delta)
    for o in outer:
        struct.pack_into("<H", b, o, struct.unpack_from("<H", b, o)[0] +
                         delta)
    return bytes(b)


def in_table(b, top, end, name):
    """Does the message name table name (NFTA_RULE_TABLE and
    NFTA_SET_ELEM_LIST_TABLE are both 1)?"""
    t = find(b, top, end, 1)
    return t and b[t[0][0] + 4:t[0][0] + t[0][2]] == name + b"\0"


def nft_bad():
    """name -> capture: the first rule and element list of edge.nlbin's
    table edge (not dormant: read, not skipped) broken."""
    b = open(os.path.join(FIX, "edge.nlbin"), "rb").read()
    out, off = {}, 0
    while off + 16 <= len(b):
        mlen, mtype = struct.unpack_from("<IH", b, off)
        end, top = off + mlen, off + 20
        if not in_table(b, top, end, b"edge"):
            mtype = 0
        if mtype == NEWRULE and "bad-rule-zeros" not in out:
            out["bad-rule-zeros"] = splice(b, off, [], end, 4)
            lst = find(b, top, end, RULE_EXPRESSIONS)[0]
            elems = find(b, lst[0] + 4, lst[0] + lst[2], LIST_ELEM)
            last = elems[-1]
            # the list ends 4 bytes before its last expression does
            out["bad-rule-last-expr-cut"] = splice(
                b, off, [lst[0]], last[0] + last[2] - 4, -4)
            # the rule's dnat: its last attribute, NFTA_NAT_FLAGS, is
            # optional, so the lenient walk read a dnat without flags
            el = elems[-1]
            data = find(b, el[0] + 4, el[0] + el[2], EXPR_DATA)[0]
            dend = data[0] + data[2]
            out["bad-rule-expr-data-cut"] = splice(
                b, off, [lst[0], el[0], data[0]], dend - 4, -4)
            out["bad-rule-expr-data-zeros"] = splice(
                b, off, [lst[0], el[0], data[0]], dend, 4)
        if mtype == NEWSETELEM and "bad-elem-last-cut" not in out:
            lst = find(b, top, end, ELEM_LIST_ELEMENTS)[0]
            last = find(b, lst[0] + 4, lst[0] + lst[2], LIST_ELEM)[-1]
            out["bad-elem-last-cut"] = splice(
                b, off, [lst[0]], last[0] + last[2] - 4, -4)
        off += (mlen + 3) & ~3
    return out


def main():
    d = os.path.join(REGRESSIONS, "nft")
    os.makedirs(d, exist_ok=True)
    for name, data in nft_bad().items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
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
