#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init for the two-VM network cases: Debian's virtio_mmio, failover, net_failover and
# virtio_net modules (in /root, from the same kernel package) find kestrel's virtio-net port;
# busybox configures the address the command line names, pings the peer, serves 4 MiB of
# random data over HTTP and fetches the peer's (a TCP transfer each way at once), and compares
# each file's SHA-256 with the one its sender computed. Command line:
#   net_ip=10.0.0.1 net_peer=10.0.0.2 [net_mac=02:...] [net_spoof=02:...]
# net_mac: the MAC the port must have (the configuration's). net_spoof: after the transfers,
# send with that source MAC instead: the switch must drop it (the peer sees nothing).
#
# This is PID 1: it must never exit (the kernel would panic), so no `set -e`.

CHECK=NET-CHECK
. /root/init-lib.sh

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s

ip=$(cmdline_param net_ip)
peer=$(cmdline_param net_peer)
want_mac=$(cmdline_param net_mac)
spoof=$(cmdline_param net_spoof)
SIZE_KB=4096

for ko in virtio_mmio failover net_failover virtio_net; do
	if out=$(insmod /root/$ko.ko 2>&1); then
		report insmod ok $ko
	else
		report insmod FAIL "$ko: $out"
	fi
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -e /sys/class/net/eth0 ]; then
	report device FAIL "no eth0 after 5 s: $(ls /sys/class/net)"
	finish
fi
mac=$(cat /sys/class/net/eth0/address)
report device ok "eth0 MAC $mac driver $(basename "$(readlink /sys/class/net/eth0/device/driver)")"
if [ -n "$want_mac" ]; then
	[ "$mac" = "$want_mac" ] && report mac ok "$mac" || report mac FAIL "$mac, not $want_mac"
fi

ip link set lo up
ip addr add "$ip/24" dev eth0
ip link set eth0 up

# the peer boots beside us: wait for it (60 s at most)
i=0
until ping -c 1 -W 1 "$peer" >/dev/null 2>&1 || [ $i -ge 60 ]; do
	i=$((i + 1))
done
if out=$(ping -c 5 -i 0.2 -W 2 "$peer" 2>&1); then
	report ping ok "$peer: $(echo "$out" | grep -m1 'packets transmitted')"
else
	report ping FAIL "$peer: $(echo "$out" | tail -2 | tr '\n' ' ')"
	finish
fi

mkdir -p /www
dd if=/dev/urandom of=/www/data bs=1024 count=$SIZE_KB 2>/dev/null
sum=$(sha256sum /www/data | cut -d' ' -f1)
echo "$sum" >/www/data.sha256
echo "$CHECK: serving $sum $SIZE_KB KiB from $ip"
httpd -p 80 -h /www

# the peer's file, once it serves it; its checksum as the peer computed it
i=0
until wget -q -O /tmp/peer.sha256 "http://$peer/data.sha256" 2>/dev/null || [ $i -ge 60 ]; do
	sleep 1
	i=$((i + 1))
done
start=$(cut -d' ' -f1 /proc/uptime)
if wget -q -O /tmp/peer "http://$peer/data" 2>/dev/null; then
	end=$(cut -d' ' -f1 /proc/uptime)
	got=$(sha256sum /tmp/peer | cut -d' ' -f1)
	size=$(($(wc -c </tmp/peer) / 1024))
	echo "$CHECK: fetched $got $size KiB from $peer in $start..$end s"
	if [ "$got" = "$(cat /tmp/peer.sha256)" ] && [ "$size" -eq $SIZE_KB ]; then
		report transfer ok "$peer -> $ip: $size KiB, checksums match"
	else
		report transfer FAIL "$peer -> $ip: $size KiB, $got, sender's $(cat /tmp/peer.sha256)"
	fi
else
	report transfer FAIL "$peer -> $ip: wget failed"
fi

if [ -n "$spoof" ]; then
	# Another MAC as the source: the switch drops every frame, so no reply comes back.
	ip link set eth0 address "$spoof"
	if ping -c 3 -W 1 "$peer" >/dev/null 2>&1; then
		report spoof FAIL "frames from $spoof reached $peer"
	else
		report spoof ok "frames from $spoof did not reach $peer"
	fi
	ip link set eth0 address "$mac"
fi

# Stay until the peer has what it wanted from us (its done file), 60 s at most.
touch /www/done
i=0
until wget -q -O /dev/null "http://$peer/done" 2>/dev/null || [ $i -ge 60 ]; do
	sleep 1
	i=$((i + 1))
done
# (time for the test to ask kestrel for a port's counters while both VMs still run)
sleep 5
finish
