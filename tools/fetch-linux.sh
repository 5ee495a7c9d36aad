#!/usr/bin/env bash
# Fetches Debian's own, unmodified arm64 kernels and unpacks each into a plain arm64 Image:
#
#   build/cache/linux/bookworm/Image    the current bookworm kernel   (linux-image-6.1.0-*-arm64)
#   build/cache/linux/backports/Image   the bookworm-backports kernel (linux-image-6.12.*-arm64)
#
# next to each: `version` (the kernel's release string, as `uname -r` prints it) and `package`
# (the Debian package name and version it came from). The .deb files are kept in
# build/cache/debs. Everything comes from the machine's apt sources via `apt-get download`.
# Idempotent, and quiet when everything is present.
#
# Once both kernels are unpacked they are kept as they are, without asking apt (each apt-cache
# call costs about a second here, and a kernel that changes under the tests is unwelcome):
# `tools/fetch-linux.sh --refresh` moves to whatever kernels apt resolves now.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/build/cache"
debs="$cache/debs"
out="$cache/linux"

log() { printf 'fetch-linux: %s\n' "$*"; }
die() {
	log "$*"
	exit 1
}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- apt ---------------------------------------------------------------------------------

need_update=0

# arm64 packages are only visible to apt once arm64 is a foreign architecture.
ensure_arm64_arch() {
	dpkg --print-foreign-architectures | grep -qx arm64 && return 0
	log "adding the arm64 architecture to dpkg"
	as_root dpkg --add-architecture arm64
	need_update=1
}

# The backports kernel needs the bookworm-backports suite. tools/setup.sh adds it only when it
# needs QEMU from there, so it is added here the same way (same file, same mirror as the
# machine's own bookworm sources, so no host name is written anywhere) when it is missing.
ensure_backports_suite() {
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i=="bookworm") {print u; exit}}')
	if [ -z "$uri" ]; then
		uri=$(grep -hE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -E 's/\[[^]]*\]//' | awk '$3=="bookworm"{print $2; exit}')
	fi
	[ -n "$uri" ] || die "cannot find the bookworm mirror in the apt sources"
	log "enabling bookworm-backports from the machine's bookworm mirror"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | as_root tee /etc/apt/sources.list.d/kestrel-backports.sources >/dev/null
	need_update=1
}

apt_update() {
	log "apt-get update"
	as_root apt-get update -qq >/dev/null || log "apt-get update reported errors (continuing)"
}

# --- resolving the kernel packages -------------------------------------------------------

# Every version apt knows of the linux-image-arm64:arm64 metapackage, one per line, as
# "METAVERSION IMAGEPACKAGE IMAGEVERSION" (the metapackage depends on exactly one image
# package, with an exact version). Asked once per run (apt-cache is slow) and kept here.
meta_versions=""
load_metapackage_versions() {
	meta_versions=$(apt-cache show linux-image-arm64:arm64 2>/dev/null | awk '
		/^Version:/ { v = $2 }
		/^Depends:/ && match($0, /linux-image-[^ ,]+ \(= [^)]+\)/) {
			split(substr($0, RSTART, RLENGTH), d, /[ ()=]+/)
			print v, d[1], d[2]
		}')
}

# resolve_kernel FLAVOR -> "IMAGEPACKAGE IMAGEVERSION" of the newest matching kernel.
#   bookworm:  the 6.1 kernel of bookworm proper (bookworm or bookworm-security), ~bpo excluded
#   backports: the bookworm-backports kernel (its versions carry ~bpo12)
# Choosing by version among everything apt knows, rather than taking apt's candidate, keeps the
# result independent of how a machine pins its suites.
resolve_kernel() {
	local flavor=$1 meta pkg ver best="" best_ver=""
	while read -r meta pkg ver; do
		case $flavor in
		bookworm) [[ $pkg =~ ^linux-image-6\.1\.0-[0-9]+-arm64$ && $meta != *bpo* ]] || continue ;;
		backports) [[ $pkg =~ ^linux-image-.*-arm64$ && $meta == *~bpo12* ]] || continue ;;
		esac
		if [ -z "$best_ver" ] || dpkg --compare-versions "$ver" gt "$best_ver"; then
			best="$pkg" best_ver="$ver"
		fi
	done <<<"$meta_versions"
	[ -n "$best" ] && echo "$best $best_ver"
}

# --- unpacking ---------------------------------------------------------------------------

# deb_path PACKAGE VERSION -> where apt-get download stores it (an epoch's ':' becomes %3a)
deb_path() { echo "$debs/${1}_${2//:/%3a}_arm64.deb"; }

download_deb() { # PACKAGE VERSION
	log "downloading $1 $2"
	# apt warns when root downloads into a directory its _apt user cannot write: harmless
	(cd "$debs" && apt-get download -qq "$1:arm64=$2" 2>&1) |
		{ grep -v '^W: Download is performed unsandboxed' >&2 || true; }
	[ -f "$(deb_path "$1" "$2")" ] || die "could not download $1:arm64=$2"
}

# to_image VMLINUZ IMAGE: writes the plain arm64 Image that VMLINUZ holds. Debian's arm64
# vmlinuz has been shipped as a plain Image, as a gzip file, and (with CONFIG_EFI_ZBOOT) as an
# EFI zboot PE file ("zimg" at offset 4, payload offset and size as little-endian u32 at 8 and
# 12, compression name at 24) whose payload is the compressed Image. kestrel boots only the
# plain Image (arm64 boot protocol, "ARM\x64" at offset 0x38), so all three are handled.
to_image() {
	python3 - "$1" "$2" <<'PY'
import bz2, gzip, lzma, shutil, struct, subprocess, sys

src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()

def is_image(b):
    return len(b) >= 64 and b[0x38:0x3C] == b"ARM\x64"

def decompress(kind, payload):
    if kind == "gzip":
        return gzip.decompress(payload)
    if kind in ("xzkern", "xz", "lzma"):
        return lzma.decompress(payload)
    if kind == "bzip2":
        return bz2.decompress(payload)
    # Not in the Python standard library: use the host tool when there is one.
    tool = {"zstd22": "zstd", "zstd": "zstd", "lz4": "lz4", "lzo": "lzop"}.get(kind)
    if tool and shutil.which(tool):
        return subprocess.run([tool, "-dc"], input=payload, stdout=subprocess.PIPE,
                              check=True).stdout
    sys.exit(f"to_image: {src}: cannot decompress a '{kind}' zboot payload on this host")

for _ in range(3):  # gzip inside zboot, at worst
    if is_image(data):
        break
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:2] == b"MZ" and data[4:8] == b"zimg":
        off, size = struct.unpack_from("<II", data, 8)
        kind = data[24:56].split(b"\0")[0].decode("ascii", "replace")
        data = decompress(kind, data[off:off + size])
    else:
        break
if not is_image(data):
    sys.exit(f"to_image: {src}: not a plain, gzip or zboot arm64 kernel image")
open(dst, "wb").write(data)
PY
}

# install_kernel NAME PACKAGE VERSION: unpacks /boot/vmlinuz-* of the .deb into
# $out/NAME/{Image,version,package}. Only the kernel is taken out of the archive (not the
# ~400 MB of modules), which is what keeps this fast.
install_kernel() {
	local name=$1 pkg=$2 ver=$3 deb tmp vmlinuz
	deb=$(deb_path "$pkg" "$ver")
	tmp="$out/.x-$name"
	# until the new kernel is complete, $out/NAME must not claim to hold any
	rm -rf "$tmp" "$out/$name/package"
	mkdir -p "$tmp" "$out/$name"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
	vmlinuz=$(find "$tmp/boot" -name 'vmlinuz-*' | head -1)
	[ -n "$vmlinuz" ] || die "$deb has no /boot/vmlinuz-*"
	to_image "$vmlinuz" "$tmp/Image"
	mv "$tmp/Image" "$out/$name/Image"
	basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$out/$name/version"
	# written last: its presence says the other two are complete
	echo "$pkg $ver" >"$out/$name/package"
	rm -rf "$tmp"
	log "$name: $(cat "$out/$name/version") ($(stat -c %s "$out/$name/Image") bytes) in build/cache/linux/$name/Image"
}

# unpacked NAME: the kernel NAME is complete in $out/NAME
unpacked() { [ -f "$out/$1/package" ] && [ -f "$out/$1/Image" ]; }

# fetch_kernel NAME: brings $out/NAME up to date with the package apt resolves for it.
fetch_kernel() {
	local name=$1 resolved pkg ver old
	resolved=$(resolve_kernel "$name") || resolved=""
	if [ -z "$resolved" ]; then
		# apt's lists cannot tell (offline, say): a kernel already unpacked is good enough
		[ -f "$out/$name/package" ] && return 0
		die "apt knows no $name arm64 kernel (linux-image-arm64:arm64)"
	fi
	read -r pkg ver <<<"$resolved"
	old=$(cat "$out/$name/package" 2>/dev/null || true)
	[ "$old" = "$resolved" ] && unpacked "$name" && return 0
	[ -f "$(deb_path "$pkg" "$ver")" ] || download_deb "$pkg" "$ver"
	install_kernel "$name" "$pkg" "$ver"
	# a newer kernel replaced an older one: its .deb is of no further use
	if [ -n "$old" ] && [ "$old" != "$resolved" ]; then
		read -r pkg ver <<<"$old"
		rm -f "$(deb_path "$pkg" "$ver")"
	fi
}

main() {
	local name refresh=0
	case ${1:-} in
	--refresh) refresh=1 ;;
	"") ;;
	*) die "usage: tools/fetch-linux.sh [--refresh]" ;;
	esac
	if [ $refresh -eq 0 ] && unpacked bookworm && unpacked backports; then
		return 0
	fi
	mkdir -p "$debs" "$out"
	ensure_arm64_arch
	ensure_backports_suite
	load_metapackage_versions
	# Refresh the lists when a source was just added, when asked to, or when they do not know
	# a kernel that is not unpacked yet (a fresh machine).
	[ $refresh -eq 0 ] || need_update=1
	for name in bookworm backports; do
		unpacked "$name" || [ -n "$(resolve_kernel "$name")" ] || need_update=1
	done
	if [ "$need_update" -eq 1 ]; then
		apt_update
		load_metapackage_versions
	fi
	fetch_kernel bookworm
	fetch_kernel backports
}

main "$@"
