#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches Debian's own, unmodified arm64 kernels and unpacks each into a plain arm64 Image:
#
#   build/cache/linux/bookworm/Image    the current bookworm kernel   (linux-image-6.1.0-*-arm64)
#   build/cache/linux/backports/Image   the bookworm-backports kernel (linux-image-6.12.*-arm64)
#
# next to each: `version` (the kernel's release string, as `uname -r` prints it) and `package`
# (the Debian package name and version it came from), and `modules/`: the kernel modules a
# guest loads itself (see guest_modules below) with everything they depend on, as plain .ko
# files, plus `modules.load` (the order to insmod them in) and `modules.dep`. The .deb files
# are kept in build/cache/debs. Everything comes from the machine's apt sources via
# `apt-get download`. Idempotent, and quiet when everything is present.
#
# Once both kernels are unpacked they are kept as they are, without asking apt (each apt-cache
# call costs about a second here, and a kernel that changes under the tests is unwelcome):
# `tools/fetch-linux.sh --refresh` moves to whatever kernels apt resolves now.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/build/cache"
debs="$cache/debs"
out="$cache/linux"

# The modules the guests insmod themselves: Debian's arm64 kernels build these as modules, not
# into the kernel. Their dependencies are not listed here: they are resolved from the modules'
# own metadata (see extract_modules).
guest_modules=(virtio_mmio virtio_blk ext4 virtio_console virtio_net bridge)

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
	# until the new kernel is complete, $out/NAME must not claim to hold any (nor its modules)
	rm -rf "$tmp" "$out/$name/package" "$out/$name/modules"
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

# --- kernel modules ----------------------------------------------------------------------

# extract_modules DEB DIR MODULE...: writes into DIR (which must not exist) each MODULE of the
# kernel package DEB with everything it needs, in one pass over the package:
#
#   DIR/NAME.ko      every module, decompressed when the package compresses it (.ko.xz,
#                    .ko.zst, .ko.gz), flat, by its module name (`-` becomes `_`)
#   DIR/modules.dep  depmod's format: "NAME.ko: DEP.ko ..." with all hard dependencies,
#                    nearest last, as modprobe reads it
#   DIR/modules.load the .ko files in an order that insmod can load them in, one per line
#   DIR/wanted       the MODULEs asked for
#
# Debian's packages carry no modules.dep (depmod writes it when the package is installed), so
# the dependencies come from where depmod's own come from: each module's .modinfo section,
# `depends=` (the modules whose symbols it uses, found by modpost) and `softdep=` ("pre:" and
# "post:" modules it wants around it, e.g. ext4's crypto-crc32c, which the kernel would
# otherwise ask a modprobe for, and which a busybox initramfs does not have). A softdep name is
# a module name or an alias (MODULE_ALIAS) of some modules: all of those are taken, as modprobe
# would. A MODULE built into the kernel (modules.builtin) is left out, and so is a softdep that
# no module provides (the kernel has it built in, or does without).
extract_modules() {
	python3 - "$@" <<'PY'
import fnmatch, gzip, lzma, os, re, shutil, struct, subprocess, sys, tarfile

deb, outdir, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]

def modname(path):
    base = os.path.basename(path)
    return base[:base.index(".ko")].replace("-", "_")

# One pass over the package: every module's (still compressed) bytes, and modules.builtin.
files, builtin, release = {}, set(), None
ko = re.compile(r"(?:^|/)lib/modules/([^/]+)/(.+\.ko(?:\.(?:xz|zst|gz))?)$")
tarstream = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
with tarfile.open(fileobj=tarstream.stdout, mode="r|") as tar:
    for m in tar:
        if not m.isfile():
            continue
        k = ko.search(m.name)
        if k:
            release = k.group(1)
            files[modname(k.group(2))] = (k.group(2), tar.extractfile(m).read())
        elif re.search(r"(?:^|/)lib/modules/[^/]+/modules\.builtin$", m.name):
            text = tar.extractfile(m).read().decode()
            builtin = {modname(l) for l in text.split() if ".ko" in l}
if tarstream.wait() != 0:
    sys.exit(f"extract_modules: dpkg-deb failed on {deb}")
if not files:
    sys.exit(f"extract_modules: {deb} holds no kernel modules")

plain = {}
def data(name):  # the module's ELF file
    if name not in plain:
        path, raw = files[name]
        if path.endswith(".xz"):
            raw = lzma.decompress(raw)
        elif path.endswith(".gz"):
            raw = gzip.decompress(raw)
        elif path.endswith(".zst"):
            if not shutil.which("zstd"):
                sys.exit(f"extract_modules: {path} is zstd-compressed and there is no zstd here")
            raw = subprocess.run(["zstd", "-dcq"], input=raw, stdout=subprocess.PIPE,
                                 check=True).stdout
        plain[name] = raw
    return plain[name]

def modinfo(name):  # [(key, value)] of the .modinfo section of a 64-bit little-endian ELF
    b = data(name)
    if b[:6] != b"\x7fELF\x02\x01":
        sys.exit(f"extract_modules: {files[name][0]} is not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", b, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3A)
    sh = [struct.unpack_from("<IIQQQQ", b, shoff + i * shentsize) for i in range(shnum)]
    strtab = sh[shstrndx][4]
    for s in sh:
        nm = b[strtab + s[0]:b.index(b"\0", strtab + s[0])]
        if nm == b".modinfo":
            raw = b[s[4]:s[4] + s[5]].decode("utf-8", "replace")
            return [tuple(kv.split("=", 1)) for kv in raw.split("\0") if "=" in kv]
    return []

def hard_deps(name):
    return [d.replace("-", "_") for v in (v for k, v in modinfo(name) if k == "depends")
            for d in v.split(",") if d]

def soft_deps(name):  # (pre, post) names
    pre, post = [], []
    for k, v in modinfo(name):
        if k != "softdep":
            continue
        into = None  # names before a "pre:" or "post:" are ignored, as modprobe does
        for tok in v.split():
            if tok in ("pre:", "post:"):
                into = pre if tok == "pre:" else post
            elif into is not None:
                into.append(tok)
    return pre, post

aliases = None
def providers(softname):  # the modules a softdep name stands for
    global aliases
    n = softname.replace("-", "_")
    if n in files:
        return [n]
    if aliases is None:  # read every module's aliases only when a softdep needs one
        aliases = [(v, m) for m in sorted(files) for k, v in modinfo(m) if k == "alias"]
    return sorted({m for pattern, m in aliases if fnmatch.fnmatchcase(softname, pattern)})

order, done, active, notes = [], set(), [], []
def visit(name, why):
    if name in done:
        return
    if name in active:
        sys.exit(f"extract_modules: dependency loop: {' -> '.join(active + [name])}")
    if name not in files:
        sys.exit(f"extract_modules: {why} needs module {name}, which {deb} does not have")
    active.append(name)
    pre, post = soft_deps(name)
    for s in pre:
        p = providers(s)
        if not p:
            notes.append(f"{name}: softdep {s}: no module provides it (built in, or not needed)")
        for m in p:
            visit(m, f"{name} (softdep {s})")
    for d in hard_deps(name):
        visit(d, name)
    active.pop()
    done.add(name)
    order.append(name)
    for s in post:
        for m in providers(s):
            visit(m, f"{name} (softdep {s})")

for w in wanted:
    w = w.replace("-", "_")
    if w in files:
        visit(w, "the guest")
    elif w in builtin:
        notes.append(f"{w}: built into the kernel")
    else:
        sys.exit(f"extract_modules: {deb} has no module {w}, built in or not")

def closure(name, acc):  # all hard dependencies, as depmod lists them
    for d in hard_deps(name):
        if d not in acc:
            acc.append(d)
            closure(d, acc)
    return acc

os.makedirs(outdir)
for name in order:
    with open(os.path.join(outdir, name + ".ko"), "wb") as f:
        f.write(data(name))
with open(os.path.join(outdir, "modules.dep"), "w") as f:
    for name in order:
        deps = [d for d in reversed(order) if d in closure(name, [])]
        f.write(f"{name}.ko:" + "".join(f" {d}.ko" for d in deps) + "\n")
with open(os.path.join(outdir, "wanted"), "w") as f:
    f.write(" ".join(wanted) + "\n")
with open(os.path.join(outdir, "version"), "w") as f:
    f.write(release + "\n")
for n in notes:
    print(f"fetch-linux: {n}")
# written last: its presence says the rest is complete
with open(os.path.join(outdir, "modules.load"), "w") as f:
    f.write("".join(f"{name}.ko\n" for name in order))
PY
}

# have_modules NAME: the modules of kernel NAME are complete, and are the ones asked for now
have_modules() {
	[ -f "$out/$1/modules/modules.load" ] &&
		[ "$(cat "$out/$1/modules/wanted" 2>/dev/null)" = "${guest_modules[*]}" ]
}

# install_modules NAME: extracts the guest modules of the unpacked kernel NAME from its .deb
# (downloaded again if it is gone) into $out/NAME/modules.
install_modules() {
	local name=$1 pkg ver deb tmp
	read -r pkg ver <"$out/$name/package"
	deb=$(deb_path "$pkg" "$ver")
	[ -f "$deb" ] || download_deb "$pkg" "$ver"
	tmp="$out/.m-$name"
	rm -rf "$tmp" "$out/$name/modules"
	extract_modules "$deb" "$tmp" "${guest_modules[@]}"
	mv "$tmp" "$out/$name/modules"
	log "$name: modules $(sed 's/\.ko$//' "$out/$name/modules/modules.load" | tr '\n' ' ')in build/cache/linux/$name/modules"
}

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
	local name pkg ver refresh=0
	case ${1:-} in
	--refresh) refresh=1 ;;
	"") ;;
	*) die "usage: tools/fetch-linux.sh [--refresh]" ;;
	esac
	if [ $refresh -eq 0 ] && unpacked bookworm && unpacked backports; then
		# the modules of kernels unpacked before they were extracted too: from the kept .deb,
		# without asking apt
		for name in bookworm backports; do
			have_modules "$name" && continue
			read -r pkg ver <"$out/$name/package"
			if [ -f "$(deb_path "$pkg" "$ver")" ]; then install_modules "$name"; fi
		done
		have_modules bookworm && have_modules backports && return 0
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
	for name in bookworm backports; do
		have_modules "$name" || install_modules "$name"
	done
}

main "$@"
