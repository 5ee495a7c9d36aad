#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the small ext4 disk image that the Linux disk guest (guests/linux/disk-init.sh) mounts
# and reads:
#
#   tools/mkdisk.sh OUT.img
#
# The file system (16 MiB, 4 KiB blocks, label "kestrel-disk") holds
#
#   /hello.txt    "kestrel passthrough disk ok" and a newline: the marker the guest checks
#   /data.bin     1 MiB of distinct 16-byte lines ("000000000000001\n", ...), so that a block
#                 read from the wrong place cannot go unnoticed
#   /data.sha256  sha256sum's line for data.bin
#
# It is made by Debian's e2fsprogs, `mke2fs -t ext4 -d DIR`, into a plain file: no root, no loop
# device, no mount. Its own mke2fs.conf fixes the features (those of Debian 12's ext4:
# has_journal, extent, flex_bg, metadata_csum, 64bit, ...), and a fixed UUID, hash seed, file
# times (the ctimes set with debugfs afterwards) and E2FSPROGS_FAKE_TIME make the image depend
# only on its contents. OUT is left untouched, mtime included, when it already holds exactly
# that. It takes well under a second.
set -euo pipefail

marker="kestrel passthrough disk ok"
size=16M
uuid=6b657374-7265-6c00-0000-000000000001
epoch=1700000000

die() {
	printf 'mkdisk: %s\n' "$*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: tools/mkdisk.sh OUT.img"
out=$1
export PATH="$PATH:/sbin:/usr/sbin"
for t in mke2fs debugfs; do
	command -v $t >/dev/null 2>&1 || die "no $t: run tools/setup.sh (it installs e2fsprogs)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkdisk.XXXXXX")
# shellcheck disable=SC2064 # expand now
trap "rm -rf '$tmp'" EXIT

root="$tmp/root"
mkdir -p "$root"
printf '%s\n' "$marker" >"$root/hello.txt"
seq -f '%015g' 1 65536 >"$root/data.bin"
(cd "$root" && sha256sum data.bin >data.sha256)
chmod 0644 "$root"/*
chmod 0755 "$root"
touch -d "@$epoch" "$root"/* "$root"

cat >"$tmp/mke2fs.conf" <<'EOF'
[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
EOF

# quiet NAME RE CMD...: runs CMD quietly; shows its output and fails when it fails or, with a
# non-empty RE, prints a line that matches RE
quiet() {
	local name=$1 re=$2
	shift 2
	if ! "$@" >"$tmp/log" 2>&1 || { [ -n "$re" ] && grep -qE "$re" "$tmp/log"; }; then
		cat "$tmp/log" >&2
		die "$name failed"
	fi
}

truncate -s "$size" "$tmp/disk.img"
quiet mke2fs '' env MKE2FS_CONFIG="$tmp/mke2fs.conf" E2FSPROGS_FAKE_TIME=$epoch \
	mke2fs -q -F -t ext4 -T default -L kestrel-disk -U "$uuid" \
	-E "hash_seed=$uuid,root_owner=0:0,lazy_itable_init=0,nodiscard" \
	-d "$root" "$tmp/disk.img"
# mke2fs -d copies each file's ctime, which no one can set on the source files: set them here
# (debugfs reports a bad command on its output, not in its exit status)
for f in / /lost+found /hello.txt /data.bin /data.sha256; do
	echo "set_inode_field $f ctime @$epoch"
done >"$tmp/fix"
quiet debugfs 'Usage|Invalid|not found|Couldn|rror' env E2FSPROGS_FAKE_TIME=$epoch \
	debugfs -w -f "$tmp/fix" "$tmp/disk.img"

mkdir -p "$(dirname "$out")"
cmp -s "$tmp/disk.img" "$out" && exit 0
mv "$tmp/disk.img" "$out"
