#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init for the hvc0 case: Debian's virtio_mmio and virtio_console modules (in /root) find
# kestrel's virtio-console through the device tree, and a busybox shell runs on /dev/hvc0 (its
# input, output and errors). Debian builds both drivers as modules, so hvc0 cannot be the boot
# console: the kernel and this script speak on ttyAMA0 until the shell starts.
#
# This is PID 1: it must never exit (the kernel would panic), so no `set -e`.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
CHECK=HVC-CHECK
. /root/init-lib.sh

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s

for ko in virtio_mmio virtio_console; do
	if out=$(insmod /root/$ko.ko 2>&1); then
		report insmod ok $ko
	else
		report insmod FAIL "$ko: $out"
	fi
done
i=0
while [ ! -c /dev/hvc0 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -c /dev/hvc0 ]; then
	report device ok "/dev/hvc0 on $(ls /sys/bus/virtio/devices/*/driver -l 2>/dev/null | sed 's|.*/||' | head -1) at $(ls /sys/bus/platform/devices | grep -m1 virtio_mmio)"
else
	report device FAIL "no /dev/hvc0 after 5 s; virtio devices: $(ls /sys/bus/virtio/devices)"
	finish
fi
echo "$CHECK: shell on hvc0"
# A session of its own with hvc0 as its controlling terminal: the shell reads what is typed
# into the VM's console (the virtio console has it once its driver runs) and writes to hvc0.
setsid sh -c 'exec sh -i </dev/hvc0 >/dev/hvc0 2>&1'
finish
