#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Linux guest acceptance test, run as /init of a busybox initramfs
# (tools/mkinitramfs.sh). It checks what a hypervisor must get right for an SMP Linux guest:
# every vCPU came up, every vCPU takes timer interrupts, vCPUs interrupt each other (IPIs),
# and CPU-bound work on all vCPUs at once completes with correct results. Then it powers the
# VM off through PSCI.
#
# Each result is one console line "LINUX-CHECK: <what> <values> ok|FAIL", then
# "LINUX-CHECK: RESULT PASS|FAIL" (a test runner greps these). The expected vCPU count comes
# from the kernel command line: kestrel.vcpus=N; so does, optionally, the kernel release that
# must be running: kestrel.release=RELEASE (as `uname -r` prints it).
#
# This is PID 1: it must never exit (the kernel would panic), so no `set -e`, and every path
# ends in poweroff.

CHECK=LINUX-CHECK
. /root/init-lib.sh

setup() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	# Keep late kernel messages off the console so they cannot split a result line.
	dmesg -n 1
}

# irq_counts NAME: the per-CPU counts (space-separated) of the first /proc/interrupts line
# whose name (its last field) or description is NAME. There is one count column per CPU.
irq_counts() {
	ncols=$(head -1 /proc/interrupts | wc -w)
	grep -E "(^| )$1\$" /proc/interrupts | head -1 |
		{ read -r _ rest && echo "$rest" | tr -s ' ' '\n' | head -"$ncols" | tr '\n' ' '; } |
		sed 's/ $//'
}

# spin_start N / spin_stop: N busy shell loops, so that every CPU stays busy. A busy CPU keeps
# its scheduler tick (an idle one may stop it: NO_HZ), and spreading the loops over the CPUs
# makes the scheduler send rescheduling IPIs.
spin_pids=""
spin_start() {
	i=0
	while [ "$i" -lt "$1" ]; do
		sh -c 'while :; do :; done' &
		spin_pids="$spin_pids $!"
		i=$((i + 1))
	done
}
spin_stop() {
	# shellcheck disable=SC2086 # one pid per word
	kill $spin_pids 2>/dev/null
	wait 2>/dev/null
	spin_pids=""
}

check_kernel() {
	release=$(uname -r)
	want=$(cmdline_param kestrel.release)
	if [ -z "$want" ]; then
		echo "LINUX-CHECK: kernel $release"
		return
	fi
	flag=FAIL
	[ "$release" = "$want" ] && flag=ok
	report kernel "$flag" "$release" expected "$want"
}

check_nproc() {
	flag=FAIL
	[ "$ncpu" = "$expected" ] && flag=ok
	report nproc "$flag" "$ncpu" expected "${expected:-unset}"
}

# Every CPU's arch_timer count is above 0, and each grows over a second of load.
check_timer() {
	spin_start "$ncpu"
	before=$(irq_counts arch_timer)
	sleep 1
	after=$(irq_counts arch_timer)
	spin_stop
	flag=ok
	[ -n "$before" ] || flag=FAIL
	# shellcheck disable=SC2086 # one count per word
	set -- $after
	for b in $before; do
		if ! is_number "$b" || ! is_number "${1:-}" || [ "$b" -le 0 ] || [ "$1" -le "$b" ]; then
			flag=FAIL
		fi
		shift
	done
	report timer "$flag" "${after:-none}"
}

# ipi_sums: per CPU, the rescheduling plus function-call IPIs it took (space-separated)
ipi_sums() {
	# shellcheck disable=SC2046 # one count per word
	set -- $(irq_counts 'Function call interrupts')
	sums=""
	for r in $(irq_counts 'Rescheduling interrupts'); do
		c=${1:-0}
		is_number "$r" || r=0
		is_number "$c" || c=0
		sums="$sums $((r + c))"
		[ $# -gt 0 ] && shift
	done
	echo "${sums# }"
}

# Inter-processor interrupts reach every CPU: each CPU's rescheduling plus function-call IPI
# count grows while short tasks are pinned to each CPU in turn (busybox taskset). A task moved
# to an idle CPU wakes it with an IPI, and its exit wakes its parent, idle in wait() on its
# own CPU, with another; so every CPU gets some, whatever the boot happened to send. Counting
# only the boot's IPIs (usually dozens per CPU) would depend on the scheduler's whims. A
# single CPU has nobody to interrupt: nothing is required of it.
check_ipi() {
	if [ "$ncpu" -le 1 ]; then
		report ipi ok single-cpu "$(ipi_sums)"
		return
	fi
	before=$(ipi_sums)
	round=0
	while [ "$round" -lt 20 ]; do
		cpu=0
		while [ "$cpu" -lt "$ncpu" ]; do
			taskset "$(printf '%x' $((1 << cpu)))" true
			cpu=$((cpu + 1))
		done
		round=$((round + 1))
	done
	after=$(ipi_sums)
	flag=ok
	# shellcheck disable=SC2086 # one count per word
	set -- $after
	[ "$#" -eq "$ncpu" ] || flag=FAIL
	grew=""
	for b in $before; do
		[ "${1:-0}" -gt "$b" ] || flag=FAIL
		grew="$grew $((${1:-0} - b))"
		shift
	done
	[ -n "$before" ] || flag=FAIL
	report ipi "$flag" per-cpu "${after:-none}" grew "${grew# }"
}

# uptime_cs: /proc/uptime's first field in hundredths of a second
uptime_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}" | sed 's/^0*//; s/^$/0/'
}

# One sha256sum of 8 MiB of zeros per CPU, all at once; each must finish with the right sum.
check_cpu_bound() {
	want=2daeb1f36095b44b318410b3f4e8b5d989dcc7bb023d1426c492dab0a3053e74
	start=$(uptime_cs)
	i=0
	while [ "$i" -lt "$ncpu" ]; do
		dd if=/dev/zero bs=1048576 count=8 2>/dev/null | sha256sum >/tmp/sum.$i &
		i=$((i + 1))
	done
	wait
	end=$(uptime_cs)
	flag=ok
	i=0
	while [ "$i" -lt "$ncpu" ]; do
		read -r got _ </tmp/sum.$i || got=none
		[ "$got" = "$want" ] || flag=FAIL
		i=$((i + 1))
	done
	el=$((end - start))
	report cpu-bound "$flag" "$((el / 100)).$(printf '%02d' $((el % 100)))s"
}

# The CPU features kestrel shows and switches, as the kernel found them on every CPU:
# pointer authentication (paca, pacg; kestrel switches the keys, kestrel/pac.h), SVE (sve;
# kestrel switches the Z, P and FFR registers with the FP/SIMD ones, kestrel/sve.h), and those
# the case's machine has besides (kestrel.features=, comma-separated: mte with --mte).
check_features() {
	flag=ok
	found=
	for f in paca pacg sve $(cmdline_param kestrel.features | tr ',' ' '); do
		if [ "$(grep '^Features' /proc/cpuinfo | grep -cw "$f")" = "$ncpu" ]; then
			found="$found $f"
		else
			flag=FAIL
		fi
	done
	report features "$flag"$found
}

# The PMU kestrel gives guests (kestrel/pmu.h): the kernel's driver found the DT node, took
# its interrupt (the boot log's "hw perfevents: enabled ..." line) and registered the device;
# and it counts this VM's own cycles (perfcount: perf_event_open around a busy loop; its
# instructions too where QEMU counts them, with -icount).
check_pmu() {
	flag=FAIL
	dev=
	for d in /sys/bus/event_source/devices/armv8_pmuv3*; do
		[ -e "$d/type" ] && dev=${d##*/}
	done
	# "7 counters available" (6.1), "7 (0,8000003f) counters available" (6.12)
	line=$(dmesg | grep -o 'hw perfevents: enabled with [^ ]* PMU driver, [0-9].*counters available')
	n=$(echo "$line" | sed -n 's/.*driver, \([0-9]*\).*/\1/p')
	counted=$(/root/perfcount) && [ -n "$dev" ] && [ -n "$n" ] && flag=ok
	report pmu "$flag" "$dev" "$n counters" "$counted"
}

check_uptime() {
	read -r up _ </proc/uptime
	flag=FAIL
	case $up in [0-9]*.[0-9]*) flag=ok ;; esac
	report uptime "$flag" "$up"
}

setup
expected=$(cmdline_param kestrel.vcpus)
ncpu=$(nproc)
check_kernel
check_nproc
check_timer
check_ipi
check_cpu_bound
check_features
check_pmu
check_uptime
finish
