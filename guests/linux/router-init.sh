#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init for the router case (tests/integration/configs/router.dts is its layout): one Debian
# kernel, two roles, chosen on the command line.
#   router_role=bridge: a direct-mapped VM with the machine's NIC (QEMU's user-mode network,
#     attached by ./kestrel --nic user) passed through and a port on kestrel's switch marked
#     `bridge`. It bridges the two with Linux's bridge (br0), so the hosts of the user-mode
#     network and the switch's VMs are on one Ethernet, then waits for the client's word
#     (TCP port 7777 on its own address, 10.0.2.100) and powers off.
#   router_role=client: a VM with only a kestrel switch port. It takes an address from the
#     user-mode network's DHCP server (through the bridge), fetches router_url from the host
#     (10.0.2.2 on that network), prints the file's SHA-256 and size, tells the router, and
#     powers off.
# This is PID 1: it must never exit (the kernel would panic), so no `set -e`.

CHECK=ROUTER-CHECK
. /root/init-lib.sh

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s

role=$(cmdline_param router_role)
ROUTER_IP=10.0.2.100
DONE_PORT=7777

modules="virtio_mmio failover net_failover virtio_net"
[ "$role" = bridge ] && modules="$modules llc stp bridge"
for ko in $modules; do
	if out=$(insmod /root/$ko.ko 2>&1); then
		report insmod ok $ko
	else
		report insmod FAIL "$ko: $out"
	fi
done

# wait_links N: until N Ethernet devices are there (10 s at most)
wait_links() {
	i=0
	while [ "$(ls /sys/class/net | grep -c '^eth')" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

sysfs_write() { echo "$2" >"$1"; }

ip link set lo up
if [ "$role" = bridge ]; then
	wait_links 2
	# kestrel's port has the MAC kestrel derived (02:...), the machine's NIC QEMU's (52:54:...)
	port="" nic=""
	for dev in /sys/class/net/eth*; do
		case $(cat "$dev/address") in
		02:*) port=${dev##*/} ;;
		*) nic=${dev##*/} ;;
		esac
	done
	if [ -z "$port" ] || [ -z "$nic" ]; then
		report links FAIL "kestrel port '$port', machine NIC '$nic': $(ls /sys/class/net)"
		finish
	fi
	report links ok "kestrel port $port, machine NIC $nic" \
		"($(basename "$(readlink /sys/class/net/$nic/device/driver)"))"
	# (busybox's brctl has no stp or setfd: a new bridge runs no STP, and sysfs sets the delay)
	for step in "brctl addbr br0" "sysfs_write /sys/class/net/br0/bridge/forward_delay 0" \
		"brctl addif br0 $nic" "brctl addif br0 $port" "ip link set $nic up" \
		"ip link set $port up" "ip link set br0 up" "ip addr add $ROUTER_IP/24 dev br0"; do
		if ! out=$($step 2>&1); then
			report bridge FAIL "$step: $out"
			finish
		fi
	done
	report bridge ok "br0: $nic + $port, $ROUTER_IP"
	(sleep 150 && echo "$CHECK: no word from the client in 150 s" && finish) &
	word=$(nc -l -p $DONE_PORT)
	report client ok "said: $word"
	finish
fi

wait_links 1
ip link set eth0 up
cat >/tmp/dhcp.sh <<'EOF'
#!/bin/sh
case $1 in bound | renew)
	ifconfig "$interface" "$ip" netmask "$subnet"
	route add default gw "$router" dev "$interface"
	;;
esac
EOF
chmod +x /tmp/dhcp.sh
if udhcpc -i eth0 -n -q -t 20 -T 2 -s /tmp/dhcp.sh >/tmp/dhcp.log 2>&1; then
	report dhcp ok "$(ip -4 -o addr show eth0 | awk '{print $4}'), gateway $(ip route | awk '/default/ {print $3}')"
else
	report dhcp FAIL "$(tail -2 /tmp/dhcp.log | tr '\n' ' ')"
	finish
fi
url=$(cmdline_param router_url)
if wget -q -O /tmp/file "$url" 2>/tmp/wget.log; then
	echo "$CHECK: fetched $(sha256sum /tmp/file | cut -d' ' -f1) $(wc -c </tmp/file) bytes from $url"
	report fetch ok "$url"
else
	report fetch FAIL "$url: $(tr '\n' ' ' </tmp/wget.log)"
fi
echo "client done" | nc $ROUTER_IP $DONE_PORT
report router ok "told $ROUTER_IP:$DONE_PORT"
finish
