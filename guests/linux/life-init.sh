#!/bin/sh
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
# Each result is a console line "LIFE-CHECK: <what> ok|FAIL <details>", then "LIFE-CHECK: RESULT
# PASS|FAIL". This is PID 1: it must never exit, so no `set -e`; every path ends in poweroff.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin

failed=0
report() { # WHAT ok|FAIL DETAILS...
	what=$1 flag=$2
	shift 2
	[ "$flag" = ok ] || failed=1
	echo "LIFE-CHECK: $what $flag $*"
}

finish() {
	if [ "$failed" = 0 ]; then echo "LIFE-CHECK: RESULT PASS"; else echo "LIFE-CHECK: RESULT FAIL"; fi
	poweroff -f
	while :; do sleep 3600; done
}

cmdline_param() {
	read -r cmdline </proc/cmdline
	# shellcheck disable=SC2086 # split into words on purpose
	for arg in $cmdline; do
		case $arg in "$1"=*) echo "${arg#*=}" ;; esac
	done
}

is_number() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

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

mount -t proc proc /proc
mount -t sysfs sysfs /sys
dmesg -n 1
case $(cmdline_param kestrel.test) in
crash) test_crash ;;
uptime) test_uptime ;;
*)
	report mode FAIL "kestrel.test= must be crash or uptime"
	finish
	;;
esac
