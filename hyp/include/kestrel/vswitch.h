/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A virtual Ethernet switch: the virtio-net ports that name it. It learns which port each
 * source MAC came from (a bounded table), sends known unicast to that port alone and floods
 * broadcast, multicast and unknown unicast to every other port of the same switch, never
 * anywhere else. A port may only send frames with its own MAC as the source: the rest are
 * dropped and counted, so no VM can pose as another or steer another's traffic to itself.
 * A bridge port (a VM that bridges the switch to a network outside, such as the machine's NIC)
 * may send any unicast source but the MAC of another port of the switch: it forwards the
 * frames of the hosts behind it, which the switch learns (at most VSWITCH_BRIDGE_MACS of
 * them; frames to the others flood, as in any switch whose table is full).
 * Pure logic: the same code runs in kestrel and in the host tests.
 */
#ifndef KESTREL_VSWITCH_H
#define KESTREL_VSWITCH_H

#include <kestrel/spinlock.h>
#include <kestrel/virtio_net.h>

#define VSWITCH_PORTS	 32 /* every virtio slot of every VM: VM_MAX * VM_VIRTIO_MAX */
#define VSWITCH_NAME_MAX 16
/* MACs learnt behind bridge ports, beside one per port: a bridge never takes a port's room. */
#define VSWITCH_BRIDGE_MACS 64

struct vswitch {
	char name[VSWITCH_NAME_MAX];
	unsigned nports;
	struct virtio_net *port[VSWITCH_PORTS];
	/* Learnt source MACs: each port's own (room for all) and up to VSWITCH_BRIDGE_MACS from
	   bridge ports. Under lock, a leaf lock. */
	spinlock_t lock;
	unsigned nlearnt, nbridged;
	struct {
		uint8_t mac[ETH_ALEN];
		uint8_t port;
	} learnt[VSWITCH_PORTS + VSWITCH_BRIDGE_MACS];
	uint64_t flooded; /* frames sent to every other port */
};

void vswitch_init(struct vswitch *sw, const char *name);
/* Puts the port on the switch (again: the place it had): E_OK, or -E_NOMEM when it has
   VSWITCH_PORTS already. */
MUST_CHECK int vswitch_attach(struct vswitch *sw, struct virtio_net *n);
/* A frame port from sent (the device's copy, already checked for length): see above. */
void vswitch_send(struct vswitch *sw, unsigned from, const uint8_t *frame, unsigned len);

#endif
