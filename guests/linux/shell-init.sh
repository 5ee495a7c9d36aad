#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init for the interactive demo: a busybox shell on the guest's console. The VM powers off
# (PSCI SYSTEM_OFF) when the shell exits or on `poweroff -f`.
#
# This is PID 1: it must never exit (the kernel would panic), so no `set -e`.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin

setup() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	# every busybox applet as a symlink, so the shell has the whole tool box
	/bin/busybox --install -s
}

setup
echo
echo "kestrel: Debian Linux guest $(uname -r), $(nproc) CPUs, busybox shell; type 'poweroff -f' to stop the VM"
# The kernel starts init with no controlling terminal, so a shell run directly would get no
# job control and no Ctrl-C. setsid makes a new session and cttyhack opens the real console
# (from /sys/class/tty/console/active) as its controlling tty.
setsid cttyhack sh -l
poweroff -f
while :; do sleep 3600; done
