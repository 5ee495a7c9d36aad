#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Linux disk guest, run as /init of a busybox initramfs (tools/mkinitramfs.sh) that carries
# the kernel modules for a virtio-mmio block device and ext4 in /root, with /root/modules.load
# (the order to load them in, from tools/fetch-linux.sh). It loads them, waits for the disk
# (/dev/vda), mounts it read-only and reads the files tools/mkdisk.sh put there: /hello.txt,
# whose content must be the marker below, and /data.bin, whose sha256 must be the one in
# /data.sha256, and checks that the disk's interrupt was taken. Then it powers the VM off
# through PSCI.
#
# Each result is one console line "DISK-CHECK: <what> <values> ok|FAIL", then
# "DISK-CHECK: RESULT PASS|FAIL" (a test runner greps these). On a failure it also prints the
# end of the kernel log, /proc/partitions, the virtio devices and their /proc/interrupts and
# /proc/iomem lines, each line "DISK-DIAG: ...". A disk that stops answering (its requests
# never complete, say because its interrupt never arrives) is reported too, after $io_s seconds.
#
# This is PID 1: it must never exit (the kernel would panic), so no `set -e`, and every path
# ends in poweroff.

# What tools/mkdisk.sh writes into /hello.txt (the same text is there).
marker="kestrel passthrough disk ok"
disk=vda
wait_s=10
io_s=30
mods=/root

CHECK=DISK-CHECK
. /root/init-lib.sh

setup() {
	/bin/busybox --install -s
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mkdir -p /mnt
	# Keep late kernel messages off the console so they cannot split a result line.
	dmesg -n 1
}

uptime_cs() { # the uptime in hundredths of a second
	read -r up _ </proc/uptime
	# "12.34": two decimals; "1" in front keeps a "08" from being read as octal
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

# load_modules: insmod every module of /root/modules.load, in that order
load_modules() {
	if [ ! -f $mods/modules.load ]; then
		report modules ok "none (no $mods/modules.load: the drivers are built in)"
		return 0
	fi
	loaded="" bad=""
	while read -r ko; do
		[ -n "$ko" ] || continue
		if out=$(insmod "$mods/$ko" 2>&1); then
			loaded="$loaded ${ko%.ko}"
		else
			bad="$bad ${ko%.ko}"
			echo "DISK-DIAG: insmod $ko: $out"
		fi
	done <$mods/modules.load
	if [ -z "$bad" ]; then
		report modules ok "${loaded# }"
	else
		report modules FAIL "${loaded# }; failed:$bad"
	fi
}

# wait_disk: waits up to $wait_s seconds for /dev/$disk; prints its size and the virtio-mmio
# transport it is on
wait_disk() {
	deadline=$(($(uptime_cs) + wait_s * 100))
	while [ ! -b /dev/$disk ] && [ "$(uptime_cs)" -lt $deadline ]; do
		sleep 0.1
	done
	if [ ! -b /dev/$disk ]; then
		report device FAIL "no /dev/$disk after ${wait_s}s"
		return 1
	fi
	sectors=$(cat /sys/block/$disk/size)
	# /sys/devices/platform/a003e00.virtio_mmio/virtio0/block/vda: the transport's address
	# and the virtio device's name (which /proc/interrupts shows)
	path=$(readlink -f /sys/block/$disk)
	transport=$(echo "$path" | tr / '\n' | grep -m1 'virtio_mmio$')
	vdev=$(echo "$path" | tr / '\n' | grep -m1 '^virtio[0-9]*$')
	report device ok "$disk $sectors sectors ro=$(cat /sys/block/$disk/ro) at ${transport:-unknown}"
}

# check_irq: the disk's interrupt was taken (the reads above complete only through it); prints
# its /proc/interrupts description and total count: "irq GICv3 79 Edge virtio0 count N"
check_irq() {
	ncpu=$(head -1 /proc/interrupts | wc -w)
	line=$(grep -E " ${vdev:-none}\$" /proc/interrupts | head -1)
	count=0 n=0 desc=""
	for f in ${line#*:}; do
		n=$((n + 1))
		if [ $n -le "$ncpu" ]; then count=$((count + f)); else desc="$desc $f"; fi
	done
	if [ -n "$line" ] && [ $count -gt 0 ]; then
		report irq ok "${desc# } count $count"
	else
		report irq FAIL "${vdev:-no virtio device}: ${line:-not in /proc/interrupts}"
	fi
}

mount_disk() {
	if out=$(mount -t ext4 -o ro /dev/$disk /mnt 2>&1); then
		report mount ok "ext4 ro"
	else
		report mount FAIL "ext4 ro: $out"
		return 1
	fi
}

check_files() {
	content=$(cat /mnt/hello.txt 2>&1)
	if [ "$content" = "$marker" ]; then
		report file ok "$content"
	else
		report file FAIL "$content"
	fi
	want=$(cut -d' ' -f1 /mnt/data.sha256 2>/dev/null)
	got=$(sha256sum /mnt/data.bin 2>/dev/null | cut -d' ' -f1)
	size=$(wc -c </mnt/data.bin 2>/dev/null)
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		report data ok "$size bytes sha256 $got"
	else
		report data FAIL "$size bytes sha256 ${got:-none} expected ${want:-none}"
	fi
	umount /mnt
}

diagnostics() {
	dmesg | tail -n 40 | sed 's/^/DISK-DIAG: dmesg: /'
	grep . /proc/partitions | sed 's/^/DISK-DIAG: partitions: /'
	grep -q . /proc/partitions || echo "DISK-DIAG: partitions: none"
	for d in /sys/bus/virtio/devices/*; do
		[ -e "$d" ] || { echo "DISK-DIAG: virtio: no devices"; continue; }
		echo "DISK-DIAG: virtio: $(basename "$d") device $(cat "$d/device") on $(basename "$(readlink -f "$d/..")")"
	done
	grep -i virtio /proc/interrupts | sed 's/^/DISK-DIAG: interrupts: /'
	grep -i virtio /proc/iomem | sed 's/^/DISK-DIAG: iomem: /'
}

setup
echo "DISK-CHECK: kernel $(uname -r)"
load_modules
# The reads run in the background: a request that never completes leaves its process waiting
# in the kernel for good, and the script must still report and power off.
if wait_disk; then
	(
		mount_disk && check_files
		check_irq
		echo $failed >/tmp/io.tmp && mv /tmp/io.tmp /tmp/io.failed
	) &
	reader=$!
	deadline=$(($(uptime_cs) + io_s * 100))
	while [ ! -s /tmp/io.failed ] && [ "$(uptime_cs)" -lt $deadline ]; do
		sleep 0.1
	done
	if [ -s /tmp/io.failed ]; then
		[ "$(cat /tmp/io.failed)" = 0 ] || failed=1
	else
		kill $reader 2>/dev/null # in vain if it waits in the kernel, but quiets a slow one
		report io FAIL "the disk did not answer within ${io_s}s"
	fi
fi
finish diagnostics
