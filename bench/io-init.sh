#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init of the I/O benchmark (bench/run.py): the same script under kestrel and on bare QEMU,
# with Debian's virtio_mmio, virtio_blk and virtio_net modules (and failover, net_failover) in
# /root. Command line:
#   io=blk io_mib=N io_reps=R                write N MiB to /dev/vda R times, then read them R
#                                            times, O_DIRECT
#   io=net-server io_ip=A io_peer=B io_mib=N serve N MiB over HTTP to the client
#   io=net-client io_ip=B io_peer=A io_mib=N io_reps=R
#                                            ping the server, then fetch its N MiB R times
# Each measured step (a dd, the pings, a fetch) waits for a line on the console first:
# bench/run.py runs kestrel and bare QEMU side by side and lets one step run at a time, each
# machine's step next to the others', so that a slow spell of the shared host falls on all.
# Lines for bench/run.py (times are the guest's own clock, in microseconds):
#   BENCH-IO wait NAME       ready for the next step: waits for a line on the console
#   BENCH-IO mark NAME       before and after each measured part: under kestrel, bench/run.py
#                            asks kestrel's console for the VM's counters then (the script
#                            waits MARK_WAIT seconds for it, outside the measured parts)
#   BENCH-IO blk write|read BYTES SECONDS   (each repetition)
#   BENCH-IO net fetch BYTES SECONDS
#   BENCH-IO ping AVG MIN MAX     milliseconds, 20 pings
#   BENCH-IO irqs NAME N     the guest's virtio interrupts in a part (/proc/interrupts), each
#                            repetition
#   BENCH-IO done | BENCH-IO FAIL WHY
#
# This is PID 1: it must never exit (the kernel would panic), so no `set -e`.

CHECK=BENCH-IO
. /root/init-lib.sh

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s

role=$(cmdline_param io)
mib=$(cmdline_param io_mib)
ip=$(cmdline_param io_ip)
peer=$(cmdline_param io_peer)
reps=$(cmdline_param io_reps)
is_number "$reps" || reps=1
MARK_WAIT=2

fail() {
	echo "BENCH-IO FAIL $*"
	poweroff -f
	while :; do sleep 3600; done
}

mark() {
	echo "BENCH-IO mark $1"
	sleep $MARK_WAIT
}

# the next step starts when bench/run.py says so
step() {
	echo "BENCH-IO wait $1"
	read -r _ || fail "no console input for step $1"
}

# the guest's virtio interrupts so far, every CPU
irqs() {
	awk '/virtio/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' \
		/proc/interrupts
}

# the kernel's clock in microseconds: the first line of /proc/timer_list is "now at NS nsecs"
# (/proc/uptime counts hundredths, a tenth of what 64 MiB of disk takes here)
now_us() {
	set -- $(grep -m1 '^now at' /proc/timer_list)
	echo $(($3 / 1000))
}

load() {
	for ko in "$@"; do
		insmod "/root/$ko.ko" 2>/dev/null || fail "insmod $ko"
	done
}

# seconds with six decimals from a difference of now_us
secs() {
	printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000))
}

# dd_part NAME dd-arguments...: one dd of $mib MiB, timed by the guest's clock
dd_part() {
	name=$1
	shift
	before=$(irqs)
	start=$(now_us)
	out=$(dd "$@" 2>&1) || fail "dd $name: $out"
	end=$(now_us)
	after=$(irqs)
	echo "BENCH-IO blk $name $((mib * 1048576)) $(secs $((end - start)))"
	echo "BENCH-IO irqs $name $((after - before))"
}

case $role in
blk)
	load virtio_mmio virtio_blk
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -b /dev/vda ] || fail "no /dev/vda"
	mark write
	for i in $(seq "$reps"); do
		step write
		dd_part write if=/dev/zero of=/dev/vda bs=1M count="$mib" oflag=direct
	done
	mark read
	for i in $(seq "$reps"); do
		step read
		dd_part read if=/dev/vda of=/dev/null bs=1M count="$mib" iflag=direct
	done
	mark end
	;;
net-server | net-client)
	load virtio_mmio failover net_failover virtio_net
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e /sys/class/net/eth0 ] || fail "no eth0"
	ip link set lo up
	ip addr add "$ip/24" dev eth0
	ip link set eth0 up
	mkdir -p /www
	httpd -p 80 -h /www
	if [ "$role" = net-server ]; then
		dd if=/dev/zero of=/www/data bs=1M count="$mib" 2>/dev/null
		touch /www/ready
		# until the client has fetched it (its /www/done), 1200 s at most
		i=0
		until wget -q -O /dev/null "http://$peer/done" 2>/dev/null || [ $i -ge 1200 ]; do
			sleep 1
			i=$((i + 1))
		done
	else
		i=0
		until wget -q -O /dev/null "http://$peer/ready" 2>/dev/null || [ $i -ge 120 ]; do
			sleep 1
			i=$((i + 1))
		done
		step ping
		out=$(ping -c 20 -i 0.2 -W 2 "$peer" 2>&1)
		# "round-trip min/avg/max = 0.512/0.734/1.203 ms"
		rtt=$(echo "$out" | sed -n 's|.*min/avg/max = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\).*|\2 \1 \3|p')
		[ -n "$rtt" ] || fail "ping $peer: $(echo "$out" | tail -2 | tr '\n' ' ')"
		echo "BENCH-IO ping $rtt"
		mark fetch
		for i in $(seq "$reps"); do
			step fetch
			before=$(irqs)
			start=$(now_us)
			wget -q -O /dev/null "http://$peer/data" || fail "wget http://$peer/data"
			end=$(now_us)
			after=$(irqs)
			echo "BENCH-IO net fetch $((mib * 1048576)) $(secs $((end - start)))"
			echo "BENCH-IO irqs fetch $((after - before))"
		done
		mark end
		touch /www/done
		sleep 3 # the server's next poll finds it
	fi
	;;
*)
	fail "io=$role: not blk, net-server or net-client"
	;;
esac
echo "BENCH-IO done"
poweroff -f
while :; do sleep 3600; done
