/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtual Ethernet switch: see vswitch.h. Forwarding is decided under the switch's lock
 * (a leaf: nothing is taken while it is held) and done after it, each receiving port queueing
 * its own copy; a full or stopped port loses the frame and nobody else notices.
 */
#include <kestrel/lib.h>
#include <kestrel/vswitch.h>

#define DST 0
#define SRC ETH_ALEN

void vswitch_init(struct vswitch *sw, const char *name)
{
	memset(sw, 0, sizeof(*sw));
	strlcpy(sw->name, name, sizeof(sw->name));
}

/* A VM started from the console joins while others send: its port is in place before the
   count that makes senders look at it. A VM built again at boot (vm_create clears it) keeps
   its place: a port is on a switch once. */
int vswitch_attach(struct vswitch *sw, struct virtio_net *n)
{
	int err = -E_NOMEM;

	spin_lock(&sw->lock);
	for (unsigned i = 0; i < sw->nports && err; i++)
		if (sw->port[i] == n) {
			n->sw = sw;
			n->port = i;
			err = E_OK;
		}
	if (err && sw->nports < VSWITCH_PORTS) {
		n->sw = sw;
		n->port = sw->nports;
		sw->port[sw->nports] = n;
		__atomic_store_n(&sw->nports, sw->nports + 1, __ATOMIC_RELEASE);
		err = E_OK;
	}
	spin_unlock(&sw->lock);
	return err;
}

static bool group(const uint8_t *mac)
{
	return mac[0] & 1; /* the I/G bit: broadcast and multicast */
}

/* The port the MAC was learnt on, or -1. Lock held. */
static int lookup(const struct vswitch *sw, const uint8_t *mac)
{
	for (unsigned i = 0; i < sw->nlearnt; i++)
		if (!memcmp(sw->learnt[i].mac, mac, ETH_ALEN))
			return sw->learnt[i].port;
	return -1;
}

/* A port's own MAC always has room; a bridge's hosts take what VSWITCH_BRIDGE_MACS leaves, and
   one that moves to another bridge port is found there from then on. Lock held. */
static void learn(struct vswitch *sw, unsigned from, const uint8_t *mac)
{
	bool own = !memcmp(sw->port[from]->mac, mac, ETH_ALEN);

	for (unsigned i = 0; i < sw->nlearnt; i++)
		if (!memcmp(sw->learnt[i].mac, mac, ETH_ALEN)) {
			sw->learnt[i].port = (uint8_t)from;
			return;
		}
	if (sw->nlearnt == ARRAY_SIZE(sw->learnt) || (!own && sw->nbridged == VSWITCH_BRIDGE_MACS))
		return;
	memcpy(sw->learnt[sw->nlearnt].mac, mac, ETH_ALEN);
	sw->learnt[sw->nlearnt].port = (uint8_t)from;
	sw->nlearnt++;
	sw->nbridged += !own;
}

/* Whether port from may send with this source: its own MAC, or for a bridge any unicast MAC
   that is no other port's (which would take that port's frames). */
static bool source_ok(const struct vswitch *sw, unsigned nports, unsigned from, const uint8_t *mac)
{
	const struct virtio_net *src = sw->port[from];

	if (!memcmp(mac, src->mac, ETH_ALEN))
		return true;
	if (!src->bridge || group(mac))
		return false;
	for (unsigned p = 0; p < nports; p++)
		if (p != from && !memcmp(mac, sw->port[p]->mac, ETH_ALEN))
			return false;
	return true;
}

void vswitch_send(struct vswitch *sw, unsigned from, const uint8_t *frame, unsigned len)
{
	unsigned nports = __atomic_load_n(&sw->nports, __ATOMIC_ACQUIRE);
	struct virtio_net *src;
	bool due = false;
	int to;

	if (from >= nports || len < 2 * ETH_ALEN)
		return;
	src = sw->port[from];
	if (!source_ok(sw, nports, from, frame + SRC)) {
		src->stats.tx_spoofed++;
		return;
	}
	spin_lock(&sw->lock);
	learn(sw, from, frame + SRC);
	to = group(frame + DST) ? -1 : lookup(sw, frame + DST);
	if (to < 0)
		sw->flooded++;
	spin_unlock(&sw->lock);
	if (to >= 0) {
		if ((unsigned)to != from) /* a frame for itself goes nowhere */
			due = virtio_net_deliver(sw->port[to], frame, len);
	} else {
		for (unsigned p = 0; p < nports; p++)
			if (p != from)
				due |= virtio_net_deliver(sw->port[p], frame, len);
	}
	if (due)
		__atomic_store_n(&src->signal_due, true, __ATOMIC_RELEASE);
}
