#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init for the virtio-blk cases: Debian's virtio_mmio, virtio_blk and ext4 modules (in /root,
# loaded in the order of /root/modules.load) find kestrel's virtio-blk devices through the
# device tree. /dev/vda is a writable ext4 disk made by tools/mkdisk.sh, /dev/vdb a read-only
# one made the same way.
#
# vda: mounted read-write; /hello.txt must hold the marker below; /count.txt holds how many
# boots have used the disk (absent: none). Each boot prints "BLK-CHECK: count N -> N+1", writes
# N+1 there and a line of its own into /boots.txt, syncs and unmounts; then a boot that wrote an
# odd count resets the VM (PSCI SYSTEM_RESET: kestrel restarts it, and the next boot must find
# the count it wrote) and one that wrote an even count powers off. The case reads the image
# file afterwards with debugfs.
#
# vdb: the kernel must see it read-only (F_RO), mount it read-only and read its /hello.txt, and
# fail to write it, through the file system and straight to the block device.
#
# This is PID 1: it must never exit (the kernel would panic), so no `set -e`.

marker="kestrel passthrough disk ok"
CHECK=BLK-CHECK
. /root/init-lib.sh

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s
dmesg -n 1
mkdir -p /mnt/a /mnt/b

bad=""
while read -r ko; do
	[ -n "$ko" ] || continue
	out=$(insmod "/root/$ko" 2>&1) || bad="$bad ${ko%.ko}($out)"
done </root/modules.load
if [ -z "$bad" ]; then report modules ok loaded; else report modules FAIL "$bad"; fi

i=0
while { [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; } && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; then
	report devices FAIL "no /dev/vda and /dev/vdb after 10 s: $(ls /sys/block)"
	finish
fi
report devices ok "vda $(cat /sys/block/vda/size) sectors ro=$(cat /sys/block/vda/ro)," \
	"vdb $(cat /sys/block/vdb/size) sectors ro=$(cat /sys/block/vdb/ro)"
echo "$CHECK: serial vda $(cat /sys/block/vda/serial 2>/dev/null) vdb $(cat /sys/block/vdb/serial 2>/dev/null)"

# A figure, not a check: the whole of vda read straight from the device (no page cache), 1 MiB
# per request, timed with /proc/uptime (hundredths of a second).
uptime_cs() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}
t0=$(uptime_cs)
if dd if=/dev/vda of=/dev/null bs=1M iflag=direct 2>/dev/null; then
	report direct-read ok "$(($(cat /sys/block/vda/size) / 2048)) MiB in $(($(uptime_cs) - t0)) cs"
else
	report direct-read FAIL "dd of /dev/vda failed"
fi

# The writable disk: read, count, write, and the boot's line.
if out=$(mount -t ext4 /dev/vda /mnt/a 2>&1); then
	report mount-rw ok vda
	content=$(cat /mnt/a/hello.txt 2>&1)
	if [ "$content" = "$marker" ]; then report read ok "$content"; else report read FAIL "$content"; fi
	n=$(cat /mnt/a/count.txt 2>/dev/null)
	is_number "$n" || n=0
	next=$((n + 1))
	echo $next >/mnt/a/count.txt
	echo "boot $next wrote this through kestrel's virtio-blk" >>/mnt/a/boots.txt
	sync
	echo "$CHECK: count $n -> $next"
	if umount /mnt/a; then report umount ok vda; else report umount FAIL vda; fi
else
	report mount-rw FAIL "$out"
	finish
fi

# The read-only disk.
[ "$(cat /sys/block/vdb/ro)" = 1 ] && report ro-flag ok vdb || report ro-flag FAIL "vdb ro=$(cat /sys/block/vdb/ro)"
if out=$(mount -t ext4 -o ro /dev/vdb /mnt/b 2>&1); then
	content=$(cat /mnt/b/hello.txt 2>&1)
	if [ "$content" = "$marker" ]; then report ro-read ok "$content"; else report ro-read FAIL "$content"; fi
	if (echo x >/mnt/b/new.txt) 2>/dev/null; then report ro-fs-write FAIL "a file was created"; else report ro-fs-write ok refused; fi
	umount /mnt/b
else
	report ro-mount FAIL "$out"
fi
if dd if=/dev/zero of=/dev/vdb bs=512 count=1 oflag=direct 2>/dev/null; then
	report ro-dev-write FAIL "a sector was written"
else
	report ro-dev-write ok refused
fi

if [ "$failed" -eq 0 ] && [ $((next % 2)) = 1 ]; then
	echo "$CHECK: resetting the VM"
	sync
	reboot -f
	while :; do sleep 3600; done
fi
finish
