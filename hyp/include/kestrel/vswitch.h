/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A virtual Ethernet switch: the virtio-net ports that name it. It learns which port each
 * source MAC came from (a bounded table), sends known unicast to that port alone and floods
 * broadcast, multicast and unknown unicast to every other port of the same switch, never
 * anywhere else. A port may only send frames with its own MAC as the source: the rest are
 * dropped and counted, so no VM can pose as another or steer another's traffic to itself.
 * Pure logic: the same code runs in kestrel and in the host tests.
 */
#ifndef KESTREL_VSWITCH_H
#define KESTREL_VSWITCH_H

#include <kestrel/spinlock.h>
#include <kestrel/virtio_net.h>

#define VSWITCH_PORTS	 32 /* every virtio slot of every VM: VM_MAX * VM_VIRTIO_MAX */
#define VSWITCH_NAME_MAX 16

struct vswitch {
	char name[VSWITCH_NAME_MAX];
	unsigned nports;
	struct virtio_net *port[VSWITCH_PORTS];
	/* Learnt source MACs: one per port at most (only a port's own MAC gets in), so the table
	   never fills. Under lock, a leaf lock. */
	spinlock_t lock;
	unsigned nlearnt;
	struct {
		uint8_t mac[ETH_ALEN];
		uint8_t port;
	} learnt[VSWITCH_PORTS];
	uint64_t flooded; /* frames sent to every other port */
};

void vswitch_init(struct vswitch *sw, const char *name);
/* Puts the port on the switch (again: the place it had): E_OK, or -E_NOMEM when it has
   VSWITCH_PORTS already. */
MUST_CHECK int vswitch_attach(struct vswitch *sw, struct virtio_net *n);
/* A frame port from sent (the device's copy, already checked for length): see above. */
void vswitch_send(struct vswitch *sw, unsigned from, const uint8_t *frame, unsigned len);

#endif
