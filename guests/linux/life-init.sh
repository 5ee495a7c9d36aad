#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init for the tests of a Linux VM's life under kestrel, chosen by kestrel.test= on the
# kernel command line:
#
#   crash   On its first boot the VM panics (sysrq 'c'); kestrel sees the panic line on the
#           console and, per on-crash = "restart", starts it again from its images. On the
#           second boot it says so and powers off. The boot count comes from kestrel
#           (/chosen/kestrel,boot-count in the VM's device tree).
#   uptime  Guest time against wall time: over kestrel.seconds= (default 60) seconds, the
#           guest's uptime (its virtual counter) must advance as far as the wall clock of a
#           PL031 RTC passed through to it (QEMU keeps it on the host's clock), within 2 %.
#           Both vCPUs are kept busy meanwhile, so with a VM beside it on the same CPU the
#           vCPUs are descheduled again and again.
#
#   shm     Linux user space talks to a bare-metal VM (guests/shm.c, role=pong) through a shared
#           region, with nothing but busybox: it finds the region and its doorbell registers in
#           /proc/device-tree, writes each message and rings through /dev/mem (devmem), and
#           polls for the reply. kestrel.messages= messages (default 20).
#
# Each result is a console line "LIFE-CHECK: <what> <details> ok|FAIL", then "LIFE-CHECK: RESULT
# PASS|FAIL". This is PID 1: it must never exit, so no `set -e`; every path ends in poweroff.

CHECK=LIFE-CHECK
. /root/init-lib.sh

# The boot count kestrel writes: a 32-bit big-endian cell; VMs start far fewer than 256 times.
boot_count() {
	tail -c 1 /proc/device-tree/chosen/kestrel,boot-count | od -An -tu1 | tr -d ' \n'
}

test_crash() {
	boot=$(boot_count)
	if [ "$boot" = 1 ]; then
		echo "LIFE-CHECK: boot 1: panicking on purpose"
		echo c >/proc/sysrq-trigger
		report crash FAIL "the kernel did not panic"
	elif [ "$boot" = 2 ]; then
		report crash ok "boot 2, after kestrel restarted the crashed VM"
	else
		report crash FAIL "boot count '$boot', expected 1 or 2"
	fi
	finish
}

# The RTC's seconds, read just after they change, with the guest's uptime at that moment.
rtc_edge() {
	read -r first <"$rtc/since_epoch"
	now=$first
	while [ "$now" = "$first" ]; do read -r now <"$rtc/since_epoch"; done
	read -r up _ </proc/uptime
	edge_up=$(echo "${up%.*}${up#*.}" | sed 's/^0*//;s/^$/0/')
	edge_rtc=$now
}

test_uptime() {
	seconds=$(cmdline_param kestrel.seconds)
	is_number "$seconds" || seconds=60
	rtc=/sys/class/rtc/rtc0
	if [ ! -r "$rtc/since_epoch" ]; then
		report uptime FAIL "no RTC at $rtc: is the PL031 passed through?"
		finish
	fi
	echo "LIFE-CHECK: RTC $(cat "$rtc/name" 2>/dev/null), measuring over $seconds s"
	(while :; do :; done) &
	spin1=$!
	(while :; do :; done) &
	spin2=$!
	rtc_edge
	up0=$edge_up rtc0=$edge_rtc
	sleep $((seconds - 1))
	rtc_edge
	kill "$spin1" "$spin2"
	wall=$(((edge_rtc - rtc0) * 100))
	guest=$((edge_up - up0))
	diff=$((guest - wall))
	[ "$diff" -lt 0 ] && diff=$((-diff))
	# within 2 %, plus the 1/100 s of uptime's resolution and of reading the RTC's edge
	if [ "$wall" -gt 0 ] && [ $((diff * 100)) -le $((wall * 2 + 200)) ]; then flag=ok; else flag=FAIL; fi
	report uptime "$flag" "guest $guest/100 s, wall clock $wall/100 s, off by $diff/100 s"
	finish
}

# CELL FILE N: cell N (0-based, 32 bits, big-endian) of a device-tree property, in decimal
cell() {
	skip=$(($2 * 4))
	od -An -tu1 -v "$1" | tr -s ' \n' '  ' | {
		read -r bytes
		# shellcheck disable=SC2086 # split into bytes on purpose
		set -- $bytes
		shift $skip
		echo $((($1 << 24) | ($2 << 16) | ($3 << 8) | $4))
	}
}

# READ ADDR: a 32-bit word of guest-physical memory, in decimal
peek() { echo $(($(devmem "$1" 32))); }

test_shm() {
	messages=$(cmdline_param kestrel.messages)
	is_number "$messages" || messages=20
	node=$(ls -d /proc/device-tree/shm@* 2>/dev/null | head -1)
	if [ -z "$node" ]; then
		report shm FAIL "no shm@ node in /proc/device-tree"
		finish
	fi
	# reg: the region (address, size: 2 cells each), then its doorbell registers
	base=$(cell "$node/reg" 1) bell=$(cell "$node/reg" 5)
	echo "LIFE-CHECK: shm region at $(printf 0x%x "$base"), doorbell at $(printf 0x%x "$bell")"
	if [ "$base" = 0 ] || [ "$bell" = 0 ]; then
		report shm FAIL "cannot read the region's reg"
		finish
	fi
	n=0
	while [ "$(peek "$base")" != $((0x706f6e67)) ] && [ $n -lt 3000 ]; do n=$((n + 1)); done
	ok=0
	seq=1
	while [ $seq -le "$messages" ]; do
		devmem $((base + 8)) 32 $((seq * 3))
		devmem $((base + 4)) 32 $seq
		devmem "$bell" 32 1
		n=0
		while [ "$(peek $((base + 12)))" != $seq ] && [ $n -lt 3000 ]; do n=$((n + 1)); done
		[ "$(peek $((base + 16)))" = $((seq * 3 + 1)) ] && ok=$((ok + 1))
		seq=$((seq + 1))
	done
	received=$(peek $((bell + 4)))
	if [ $ok = "$messages" ] && [ "$received" -ge "$messages" ]; then flag=ok; else flag=FAIL; fi
	report shm "$flag" "$ok of $messages replies right, $received rings received"
	finish
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
dmesg -n 1
case $(cmdline_param kestrel.test) in
crash) test_crash ;;
uptime) test_uptime ;;
shm) test_shm ;;
*)
	report mode FAIL "kestrel.test= must be crash, uptime or shm"
	finish
	;;
esac
