#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# rootfs.sh BINARY OUT: the image's whole tree under OUT: BINARY as
# /usr/sbin/ctsweep with the file capability cap_net_admin+ep, every
# shared library it loads (as ldd resolves them, at the same paths) with
# its package's copyright file, /etc/passwd and /etc/group for uid 65532,
# and /run/ctsweep (the mirror file, see ctsweep(8)) writable by group 0.
set -eu
bin=$1
out=$2
mkdir -p "$out/usr/sbin" "$out/etc" "$out/run/ctsweep" "$out/tmp" \
	"$out/usr/share/doc"
cp "$bin" "$out/usr/sbin/ctsweep"
setcap cap_net_admin+ep "$out/usr/sbin/ctsweep"
for lib in $(ldd "$bin" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
	mkdir -p "$out$(dirname "$lib")"
	cp -L "$lib" "$out$lib"
	pkg=$({ dpkg -S "$lib" || dpkg -S "$(readlink -f "$lib")"; } 2>/dev/null |
		head -n 1 | cut -d: -f1)
	[ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ] &&
		mkdir -p "$out/usr/share/doc/$pkg" &&
		cp "/usr/share/doc/$pkg/copyright" "$out/usr/share/doc/$pkg/"
done
printf 'root:x:0:0:root:/:/usr/sbin/nologin\nctsweep:x:65532:0:ctsweep:/:/usr/sbin/nologin\n' >"$out/etc/passwd"
printf 'root:x:0:\nctsweep:x:65532:\n' >"$out/etc/group"
chown 65532:0 "$out/run/ctsweep"
chmod 0775 "$out/run/ctsweep"
chmod 1777 "$out/tmp"
