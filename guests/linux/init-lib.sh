# SPDX-License-Identifier: Apache-2.0
# What the Linux test guests' /init scripts share, sourced from /root/init-lib.sh (each
# initramfs carries it: guests/linux/linux.mk). The script sets CHECK (its line prefix, e.g.
# LINUX-CHECK) before it calls these. An /init is PID 1: it must never exit (the kernel would
# panic), so no `set -e`, and every path ends in finish.
# shellcheck shell=sh

export PATH=/bin:/sbin:/usr/bin:/usr/sbin

failed=0

# report WHAT ok|FAIL DETAILS...: prints "$CHECK: WHAT DETAILS ok|FAIL" and remembers a failure
report() {
	what=$1 flag=$2
	shift 2
	[ "$flag" = ok ] || failed=1
	echo "$CHECK: $what $* $flag"
}

# cmdline_param NAME: the value of NAME=... on the kernel command line (empty when absent)
cmdline_param() {
	read -r cmdline </proc/cmdline
	# shellcheck disable=SC2086 # split into words on purpose
	for arg in $cmdline; do
		case $arg in "$1"=*) echo "${arg#*=}" ;; esac
	done
}

is_number() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

# finish [HOOK]: "$CHECK: RESULT PASS|FAIL" (HOOK, a function, runs before a FAIL), then
# PSCI SYSTEM_OFF; only if that returned does it stay alive, rather than let the kernel panic
finish() {
	if [ "$failed" -eq 0 ]; then
		echo "$CHECK: RESULT PASS"
	else
		[ -n "${1:-}" ] && "$1"
		echo "$CHECK: RESULT FAIL"
	fi
	sync
	poweroff -f
	while :; do sleep 3600; done
}
