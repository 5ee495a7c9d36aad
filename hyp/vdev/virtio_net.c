/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net (virtio 1.2 §5.1), no offloads: see virtio_net.h. A transmit notify takes every
 * chain the guest posted (no new one once num descriptors were walked), copies each frame once
 * into the device's own buffer and hands that copy to the switch. A frame for this port goes
 * into the guest's next receive buffer from the sender's CPU when deliver_now can (see
 * virtio_net.h); otherwise it waits, and receiving happens on the guest's own exits, under its
 * own device lock: when it reads InterruptStatus (the interrupt the switch raised when frames
 * came), when it notifies either queue and when it starts the device; each takes at most the
 * VNET_PENDING frames waiting.
 */
#include <kestrel/lib.h>
#include <kestrel/virtio_net.h>
#include <kestrel/vswitch.h>

#define RXQ 0
#define TXQ 1

static struct virtio_net *net_of(struct virtio_dev *dev)
{
	return (struct virtio_net *)(void *)((char *)dev - offsetof(struct virtio_net, vdev));
}

static void broken(struct virtio_net *n)
{
	n->stats.broken++;
	virtio_mmio_dev_broken(&n->vdev);
}

/*
 * Copies the chain's device-readable buffers (the header, then the frame) into n->tx, each
 * byte once. 1: a frame of a valid length is in n->tx; 0: the chain was whole but its frame
 * is not (too short, too long): dropped; -E_RANGE: the ring is broken.
 */
static int read_frame(struct virtio_net *n, struct virtq *q, struct virtq_chain *chain)
{
	const struct virtio_hooks *h = n->vdev.hooks;
	uint64_t total = 0; /* header and frame bytes the chain holds */
	struct virtq_desc d;
	int got;

	while ((got = virtq_next(q, h, chain, &d)) > 0) {
		if (d.flags & VIRTQ_DESC_F_WRITE) /* transmit buffers are read-only */
			return -E_RANGE;
		/* Bytes past the header that still fit the frame buffer; the rest is not read. */
		uint64_t start = total, end = total + d.len;
		uint64_t lo = MAX(start, (uint64_t)VNET_HDR_LEN);
		uint64_t hi = MIN(end, (uint64_t)VNET_HDR_LEN + VNET_FRAME_MAX);
		if (lo < hi && h->read(h->ctx, ipa_init(d.addr + (lo - start)),
				       n->tx.data + (lo - VNET_HDR_LEN), hi - lo))
			return -E_RANGE;
		total = end;
	}
	if (got < 0)
		return -E_RANGE;
	if (total < VNET_HDR_LEN + VNET_FRAME_MIN || total > VNET_HDR_LEN + VNET_FRAME_MAX)
		return 0;
	n->tx.len = (uint16_t)(total - VNET_HDR_LEN);
	return 1;
}

static void transmit(struct virtio_net *n)
{
	struct virtq *q = &n->vdev.vq[TXQ];
	const struct virtio_hooks *h = n->vdev.hooks;
	unsigned walked = 0;
	bool used = false, empty = false;

	/* A new chain only while fewer than num descriptors were walked: one is at most num. */
	for (unsigned k = 0; k < q->num && walked < q->num; k++) {
		struct virtq_chain chain;
		int got = virtq_pop(q, h, &chain);
		if (!got) {
			empty = true;
			break;
		}
		if (got > 0)
			got = read_frame(n, q, &chain);
		if (got < 0 || virtq_push(q, chain.head, 0)) {
			broken(n);
			return;
		}
		walked += chain.seen;
		used = true;
		if (!got) {
			n->stats.tx_dropped++;
			continue;
		}
		n->stats.tx_frames++;
		n->stats.tx_bytes += n->tx.len;
		if (n->sw)
			vswitch_send(n->sw, n->port, n->tx.data, n->tx.len);
	}
	if (!empty && virtq_has_avail(q, h))
		virtio_mmio_dev_more(&n->vdev, TXQ);
	else if (used)
		virtio_mmio_dev_used(&n->vdev, TXQ);
}

static bool pending(struct virtio_net *n)
{
	return __atomic_load_n(&n->pend_count, __ATOMIC_ACQUIRE) != 0;
}

/* The oldest waiting frame (one waits). Only this device's lock holder, the caller, takes
   frames, and senders add behind it, so it stays put until drop_head. */
static const struct vnet_frame *pending_head(const struct virtio_net *n)
{
	return &n->pending[n->pend_head];
}

static void drop_head(struct virtio_net *n)
{
	spin_lock(&n->pending_lock);
	n->pend_head = (n->pend_head + 1) % VNET_PENDING;
	n->pend_count--;
	spin_unlock(&n->pending_lock);
}

/* Writes into one device-writable descriptor the next bytes of the header and the frame, from
 *done on: -E_RANGE for a broken ring. */
static int fill_desc(struct virtio_net *n, const struct virtq_desc *d, const uint8_t *frame,
		     unsigned len, uint64_t *done)
{
	const struct virtio_hooks *h = n->vdev.hooks;
	/* No offloads: only num_buffers (1: one chain per frame, no F_MRG_RXBUF) is set. */
	static const uint8_t hdr[VNET_HDR_LEN] = {[10] = 1};
	uint64_t want = VNET_HDR_LEN + (uint64_t)len;

	if (!(d->flags & VIRTQ_DESC_F_WRITE)) /* receive buffers are write-only */
		return -E_RANGE;
	for (uint64_t off = 0; off < d->len && *done < want;) {
		const uint8_t *src =
		    *done < VNET_HDR_LEN ? hdr + *done : frame + (*done - VNET_HDR_LEN);
		uint64_t k = *done < VNET_HDR_LEN ? VNET_HDR_LEN - *done : want - *done;
		k = MIN(k, (uint64_t)d->len - off);
		if (h->write(h->ctx, ipa_init(d->addr + off), src, k))
			return -E_RANGE;
		off += k;
		*done += k;
	}
	return E_OK;
}

/* Writes the header and the frame into the chain's device-writable buffers: the bytes
   written, 0 if they do not all fit (the frame is lost, the buffer comes back empty),
   -E_RANGE for a broken ring. */
static int64_t write_frame(struct virtio_net *n, struct virtq *q, struct virtq_chain *chain,
			   const uint8_t *frame, unsigned len)
{
	uint64_t done = 0;
	struct virtq_desc d;
	int got;

	while ((got = virtq_next(q, n->vdev.hooks, chain, &d)) > 0)
		if (fill_desc(n, &d, frame, len, &done))
			return -E_RANGE;
	if (got < 0)
		return -E_RANGE;
	return done == VNET_HDR_LEN + (uint64_t)len ? (int64_t)done : 0;
}

/* A chain's frame on the used ring, counted: false for a broken ring (the device is put in
   NEEDS_RESET). */
static bool put_received(struct virtio_net *n, struct virtq *q, uint16_t head, int64_t wrote,
			 unsigned len)
{
	if (wrote < 0 || virtq_push(q, head, (uint32_t)wrote)) {
		broken(n);
		return false;
	}
	if (wrote) {
		n->stats.rx_frames++;
		n->stats.rx_bytes += len;
	} else {
		n->stats.rx_short++;
	}
	return true;
}

/* Gives the waiting frames to the guest's receive buffers: those it has posted, at most the
   VNET_PENDING waiting, the walk bounded as transmit's. */
static void receive(struct virtio_net *n, bool raise)
{
	struct virtq *q = &n->vdev.vq[RXQ];
	const struct virtio_hooks *h = n->vdev.hooks;
	unsigned walked = 0;
	bool used = false, no_buffers = false;

	for (unsigned k = 0; k < VNET_PENDING && walked < q->num && pending(n); k++) {
		const struct vnet_frame *f = pending_head(n);
		struct virtq_chain chain;
		unsigned len = f->len;
		int64_t wrote;
		int got = virtq_pop(q, h, &chain);
		if (!got) {
			no_buffers = true; /* the guest's refill notify takes the rest */
			break;
		}
		if (got < 0) {
			broken(n);
			return;
		}
		wrote = write_frame(n, q, &chain, f->data, len);
		drop_head(n);
		if (!put_received(n, q, chain.head, wrote, len))
			return;
		walked += chain.seen;
		used = true;
	}
	/* Frames a sender put in the buffers whose interrupt it has not decided yet: decided
	   here with these, or told by InterruptStatus. */
	if (n->rx_unsignalled) {
		n->rx_unsignalled = false;
		used = true;
	}
	/* Stopped by the bounds with frames still waiting (more came meanwhile from another CPU)
	   and buffers to put them in: the guest is asked back, as the first frame did, rather
	   than left to find them at its next exit, which might not come. */
	if (!no_buffers && pending(n) && h->irq)
		h->irq(h->ctx, n->vdev.slot);
	if (!used)
		return;
	if (raise)
		virtio_mmio_dev_used(&n->vdev, RXQ);
	else
		n->vdev.int_status |= VIRTIO_INT_USED;
}

static void set_accepting(struct virtio_net *n, bool on)
{
	spin_lock(&n->pending_lock);
	n->accepting = on;
	if (!on)
		n->pend_head = n->pend_count = 0;
	spin_unlock(&n->pending_lock);
}

static void net_notify(struct virtio_dev *dev, unsigned q)
{
	struct virtio_net *n = net_of(dev);

	if (!n->accepting)
		set_accepting(n, true);
	if (q == TXQ)
		transmit(n);
	if (virtio_mmio_dev_live(dev) && dev->vq[RXQ].ready)
		receive(n, true);
}

static void net_interrupt_check(struct virtio_dev *dev)
{
	if (dev->vq[RXQ].ready)
		receive(net_of(dev), false);
}

static void net_reset(struct virtio_dev *dev)
{
	net_of(dev)->rx_unsignalled = false;
	set_accepting(net_of(dev), false);
}

/*
 * The interrupt decisions a port owes the ports its frames went into straight (deliver_now):
 * one per receiver for all the frames of a notify, as QEMU's device decides once per batch, so
 * a receiver's NAPI finds them together rather than one interrupt each. Taken after the
 * sender's register write, holding no lock: waiting for a receiver's lock (held for bounded
 * work) then cannot deadlock, and the decision cannot be lost, since the sender always comes
 * here after its notify and the receiver's own InterruptStatus read also takes it.
 */
static void net_after_write(struct virtio_dev *dev)
{
	struct virtio_net *n = net_of(dev);
	struct vswitch *sw = n->sw;
	unsigned nports;

	/* A plain load first: most writes sent nothing into another port's buffers. */
	if (!sw || !__atomic_load_n(&n->signal_due, __ATOMIC_RELAXED) ||
	    !__atomic_exchange_n(&n->signal_due, false, __ATOMIC_ACQ_REL))
		return;
	nports = __atomic_load_n(&sw->nports, __ATOMIC_ACQUIRE);
	for (unsigned p = 0; p < nports; p++) {
		struct virtio_net *r = sw->port[p];
		if (r == n || !__atomic_load_n(&r->rx_unsignalled, __ATOMIC_RELAXED))
			continue;
		spin_lock(&r->vdev.lock);
		if (r->rx_unsignalled) {
			r->rx_unsignalled = false;
			if (virtio_mmio_dev_live(&r->vdev))
				virtio_mmio_dev_used(&r->vdev, RXQ);
		}
		spin_unlock(&r->vdev.lock);
	}
}

static uint8_t net_config(struct virtio_dev *dev, unsigned off)
{
	struct virtio_net *n = net_of(dev);

	if (off < ETH_ALEN)
		return n->mac[off];
	if (off == ETH_ALEN) /* status, little-endian: the link is always up */
		return VIRTIO_NET_S_LINK_UP;
	if (off == ETH_ALEN + 2) /* max_virtqueue_pairs: 1 (F_MQ is not offered) */
		return 1;
	return 0;
}

static const struct virtio_dev_ops net_ops = {
    .device_id = VIRTIO_ID_NET,
    .features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET) | BIT(VIRTIO_F_EVENT_IDX) |
		BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS),
    .nqueues = 2,
    .config_size = VNET_CONFIG,
    .notify = net_notify,
    .config_read = net_config,
    .reset = net_reset,
    .interrupt_check = net_interrupt_check,
    .after_write = net_after_write,
};

void virtio_net_init(struct virtio_net *n, const struct virtio_hooks *hooks, unsigned slot,
		     const uint8_t mac[ETH_ALEN])
{
	memset(n, 0, sizeof(*n));
	memcpy(n->mac, mac, ETH_ALEN);
	virtio_mmio_dev_init(&n->vdev, &net_ops, hooks, slot);
}

/*
 * A frame straight into the guest's next receive buffer, under this device's lock (held), if
 * that buffer's chain has at most VNET_DIRECT_DESCS descriptors, so a sender's work per frame
 * stays bounded whatever the receiver posts. 1: put there (or lost to a broken ring, as it
 * would be on the guest's exit); 0: not (no buffer posted, or a longer chain, given back to
 * the ring untouched for the guest's own exit to fill).
 */
static int put_direct(struct virtio_net *n, const uint8_t *frame, unsigned len)
{
	struct virtq *q = &n->vdev.vq[RXQ];
	const struct virtio_hooks *h = n->vdev.hooks;
	struct virtq_desc d[VNET_DIRECT_DESCS];
	struct virtq_chain chain;
	uint64_t done = 0;
	unsigned nd = 0;
	int got;

	got = virtq_pop(q, h, &chain);
	if (got <= 0) {
		if (got < 0)
			broken(n);
		return got < 0;
	}
	while (nd < VNET_DIRECT_DESCS && (got = virtq_next(q, h, &chain, &d[nd])) > 0)
		nd++;
	if (got > 0 && chain.more) {
		q->last_avail--; /* nothing was written: the chain is offered again as it was */
		return 0;
	}
	for (unsigned i = 0; i < nd && got >= 0; i++)
		got = fill_desc(n, &d[i], frame, len, &done);
	if (got < 0) {
		broken(n);
		return 1;
	}
	/* The interrupt is decided once the sender's notify is done (net_after_write). */
	if (put_received(n, q, chain.head, done == VNET_HDR_LEN + (uint64_t)len ? (int64_t)done : 0,
			 len))
		__atomic_store_n(&n->rx_unsignalled, true, __ATOMIC_RELAXED);
	return 1;
}

/*
 * The frame into the guest's buffers on the sending port's CPU, under this device's lock
 * (held), while the device runs: the frames waiting in its queue first, as far as buffers take
 * them, so the order holds and a sender that found the receiver busy once does not fill its
 * queue for the rest of a burst. False: it is to be queued.
 */
static bool deliver_now(struct virtio_net *n, const uint8_t *frame, unsigned len)
{
	if (!n->accepting || !virtio_mmio_dev_live(&n->vdev) || !n->vdev.vq[RXQ].ready)
		return false;
	while (pending(n)) {
		const struct vnet_frame *f = pending_head(n);
		if (put_direct(n, f->data, f->len) <= 0)
			return false;
		drop_head(n);
	}
	return put_direct(n, frame, len) > 0;
}

bool virtio_net_deliver(struct virtio_net *n, const uint8_t *frame, unsigned len)
{
	if (len > VNET_FRAME_MAX)
		return false;
	/* A receiver busy on its own device (its exit, another sender) is not waited for. */
	if (spin_trylock(&n->vdev.lock)) {
		bool delivered = deliver_now(n, frame, len);
		spin_unlock(&n->vdev.lock);
		if (delivered)
			return true;
	}
	spin_lock(&n->pending_lock);
	if (!n->accepting || n->pend_count == VNET_PENDING) {
		n->stats.rx_dropped++;
		spin_unlock(&n->pending_lock);
		return false;
	}
	struct vnet_frame *f = &n->pending[(n->pend_head + n->pend_count) % VNET_PENDING];
	f->len = (uint16_t)len;
	memcpy(f->data, frame, len);
	__atomic_store_n(&n->pend_count, n->pend_count + 1, __ATOMIC_RELEASE);
	/* Under the lock: a reset (which takes it) cannot pass this, so no interrupt reaches a VM
	   whose device was reset, as it is before the VM stops. One interrupt for a queue that
	   was empty: the guest takes everything waiting when it reads InterruptStatus. */
	if (n->pend_count == 1 && n->vdev.hooks->irq)
		n->vdev.hooks->irq(n->vdev.hooks->ctx, n->vdev.slot);
	spin_unlock(&n->pending_lock);
	return false;
}
