#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds a small busybox initramfs for a Linux guest:
#
#   tools/mkinitramfs.sh OUT.cpio.gz INIT_SCRIPT [EXTRA_FILE...]
#
# The archive (newc cpio, gzip'd) holds /bin/busybox (Debian's static arm64 busybox, which
# tools/setup.sh unpacks into build/cache/busybox), /bin/sh and the other applets listed
# below as symlinks to it, empty /dev /proc /sys /tmp /root and the usr/sbin folders, /init (a
# copy of INIT_SCRIPT, executable) and each EXTRA_FILE under /root by its base name.
#
# The output depends only on the inputs' contents (sorted names, fixed owner, mode and mtime,
# no timestamps in the gzip header), and OUT is left untouched, mtime included, when it is
# already what the inputs make, so a Makefile rule on it rebuilds only on real changes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
busybox="$top/build/cache/busybox/busybox"

# Applets linked into /bin: what the init scripts in guests/linux use, and a little more for a
# shell. `busybox --install -s` at run time adds the rest (guests/linux/shell-init.sh does).
applets=(sh ash cat cttyhack cut dd devmem dmesg echo grep head kill ls mkdir mount nproc od poweroff
	printf ps reboot sed seq setsid sha256sum sleep sync tail taskset test tr true uname umount wc)

die() {
	printf 'mkinitramfs: %s\n' "$*" >&2
	exit 1
}

usage() { die "usage: tools/mkinitramfs.sh OUT.cpio.gz INIT_SCRIPT [EXTRA_FILE...]"; }

check_inputs() { # INIT EXTRA...
	[ -x "$busybox" ] || die "no $busybox: run tools/setup.sh"
	# the arm64 ELF machine number (183) at offset 18: a host busybox would not run in the guest
	[ "$(od -An -tu2 -j18 -N2 "$busybox" | tr -d ' ')" = 183 ] || die "$busybox is not an arm64 binary"
	local f
	for f in "$@"; do [ -f "$f" ] || die "no such file: $f"; done
}

# stage ROOT INIT EXTRA...: lays the file tree out in ROOT
stage() {
	local root=$1 init=$2 f a
	shift 2
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root}
	cp "$busybox" "$root/bin/busybox"
	for a in "${applets[@]}"; do ln -s busybox "$root/bin/$a"; done
	cp "$init" "$root/init"
	for f in "$@"; do cp "$f" "$root/root/$(basename "$f")"; done
	# Fixed ownership and modes, whatever the checkout's umask: only contents matter.
	chmod 0755 "$root/init" "$root/bin/busybox"
	find "$root" -type d -exec chmod 0755 {} +
	chmod 1777 "$root/tmp"
	chmod 0700 "$root/root"
	find "$root" -exec touch -h -d @0 {} +
}

# pack ROOT OUT: a newc cpio of ROOT in sorted order, owned by root, gzip'd without a name or
# timestamp. --reproducible leaves out inode and device numbers.
pack() {
	(cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -n -9 >"$2"
}

main() {
	[ $# -ge 2 ] || usage
	local out=$1 init=$2 tmp
	shift 2
	check_inputs "$init" "$@"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs.XXXXXX")
	# shellcheck disable=SC2064 # expand now: $tmp is local
	trap "rm -rf '$tmp'" EXIT
	stage "$tmp/root" "$init" "$@"
	mkdir -p "$(dirname "$out")"
	pack "$tmp/root" "$tmp/out.cpio.gz"
	if cmp -s "$tmp/out.cpio.gz" "$out"; then
		return 0
	fi
	mv "$tmp/out.cpio.gz" "$out"
}

main "$@"
