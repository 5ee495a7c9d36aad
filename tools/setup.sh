#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what kestrel needs on a Debian 12 machine, and fetches the arm64 packages
# it links or boots into build/cache. Idempotent and quiet when everything is present.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/build/cache"
debs="$cache/debs"
mkdir -p "$debs"

log() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- host packages -----------------------------------------------------------------------
host_pkgs=(gcc gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu device-tree-compiler libcmocka-dev
	libfdt-dev clang libclang-rt-14-dev cppcheck clang-format python3-pyflakes cpio gzip python3 make e2fsprogs)
# arm64 packages fetched (not installed) with apt-get download
arm64_pkgs=(libfdt-dev:arm64 busybox-static:arm64)
missing=()
for p in "${host_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done

qemu_ok() {
	command -v qemu-system-aarch64 >/dev/null 2>&1 || return 1
	local v
	v=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -1)
	[ "${v:-0}" -ge 9 ]
}

# The backports suite is reached through the same mirror as the machine's own bookworm
# sources, so no host name is ever written into this tree.
enable_backports() {
	local f=/etc/apt/sources.list.d/kestrel-backports.sources
	[ -f "$f" ] && return 0
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i=="bookworm") {print u; exit}}')
	if [ -z "$uri" ]; then
		uri=$(grep -hE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -E 's/\[[^]]*\]//' | awk '$3=="bookworm"{print $2; exit}')
	fi
	[ -n "$uri" ] || { log "cannot find the bookworm mirror in the apt sources"; exit 1; }
	log "enabling bookworm-backports from the machine's bookworm mirror"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | as_root tee "$f" >/dev/null
	need_update=1
}

need_update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	as_root dpkg --add-architecture arm64
	need_update=1
fi
qemu_ok || enable_backports
have_debs=1
for p in "${arm64_pkgs[@]}"; do
	ls "$debs/${p%%:*}"_*_arm64.deb >/dev/null 2>&1 || have_debs=0
done
if [ ${#missing[@]} -gt 0 ] || ! qemu_ok || [ $have_debs -eq 0 ]; then
	need_update=1
fi
# apt's lists may be missing on a fresh machine even when nothing else is
ls /var/lib/apt/lists/*bookworm*Packages* >/dev/null 2>&1 || need_update=1

if [ $need_update -eq 1 ]; then
	log "apt-get update"
	as_root apt-get update -qq >/dev/null || log "apt-get update reported errors (continuing)"
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! qemu_ok; then
	log "installing QEMU from bookworm-backports"
	as_root env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -qq --no-install-recommends \
		-t bookworm-backports qemu-system-arm >/dev/null
	qemu_ok || { log "QEMU >= 9 is needed and could not be installed"; exit 1; }
fi

# --- arm64 packages (downloaded, never installed) -----------------------------------------
fetch_deb() { # pkg[:arch] [suite]
	local name=${1%%:*} suite=${2:-}
	ls "$debs/${name}"_*_arm64.deb >/dev/null 2>&1 && return 0
	log "downloading $1${suite:+ from $suite}"
	(cd "$debs" && apt-get download -qq ${suite:+-t "$suite"} "$1" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
	ls "$debs/${name}"_*_arm64.deb >/dev/null 2>&1 || { log "could not download $1"; exit 1; }
}
for p in "${arm64_pkgs[@]}"; do fetch_deb "$p"; done

# libfdt.a from libfdt-dev:arm64, linked into the hypervisor
if [ ! -f "$cache/libfdt/libfdt.a" ]; then
	rm -rf "$cache/libfdt" "$cache/x-libfdt"
	dpkg-deb -x "$debs"/libfdt-dev_*_arm64.deb "$cache/x-libfdt"
	mkdir -p "$cache/libfdt"
	cp "$cache/x-libfdt/usr/lib/aarch64-linux-gnu/libfdt.a" "$cache/libfdt/"
	cp "$cache/x-libfdt"/usr/include/*.h "$cache/libfdt/"
	rm -rf "$cache/x-libfdt"
fi
# busybox for the guest initramfs
if [ ! -x "$cache/busybox/busybox" ]; then
	rm -rf "$cache/x-bb"
	dpkg-deb -x "$debs"/busybox-static_*_arm64.deb "$cache/x-bb"
	mkdir -p "$cache/busybox"
	cp "$cache/x-bb/bin/busybox" "$cache/busybox/"
	rm -rf "$cache/x-bb"
fi
"$top/tools/fetch-linux.sh"
exit 0
