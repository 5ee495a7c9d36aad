/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console (virtio 1.2 §5.3) with one port and no optional feature: receiveq (0) takes
 * the VM's console input, transmitq (1) its output. A transmit notify prints what the guest
 * posted, a buffer at a time, into the VM's console (the output function), within a budget:
 * no new chain once num descriptors were walked (so at most 2 num - 1 descriptors) and at most
 * VCONS_TX_BUDGET bytes (the rest of a buffer beyond it is dropped); chains left over are taken
 * at the next notify. Filling receive buffers has the same descriptor bound. Input waits in a
 * small FIFO until the guest has posted receive buffers.
 */
#include <kestrel/lib.h>
#include <kestrel/virtio_console.h>

#define RXQ 0
#define TXQ 1

static struct virtio_console *console_of(struct virtio_dev *dev)
{
	return (struct virtio_console *)(void *)((char *)dev -
						 offsetof(struct virtio_console, vdev));
}

static bool broken(struct virtio_console *c)
{
	c->broken++;
	virtio_mmio_dev_broken(&c->vdev);
	return false;
}

/* Prints one device-readable buffer, up to *budget bytes of it (the rest is dropped). */
static bool print_buffer(struct virtio_console *c, const struct virtq_desc *d, uint64_t *budget)
{
	const struct virtio_hooks *h = c->vdev.hooks;
	uint64_t len = MIN((uint64_t)d->len, *budget);
	char buf[VCONS_CHUNK];

	for (uint64_t done = 0; done < len;) {
		unsigned n = (unsigned)MIN(len - done, (uint64_t)sizeof(buf));
		if (h->read(h->ctx, ipa_init(d->addr + done), buf, n))
			return broken(c);
		if (c->output)
			c->output(c, buf, n);
		done += n;
	}
	*budget -= len;
	c->tx_bytes += len;
	return true;
}

static void transmit(struct virtio_console *c)
{
	struct virtq *q = &c->vdev.vq[TXQ];
	const struct virtio_hooks *h = c->vdev.hooks;
	uint64_t budget = VCONS_TX_BUDGET;
	unsigned walked = 0;
	bool used = false, empty = false;

	/* A new chain only while fewer than num descriptors were walked: one is at most num. */
	for (unsigned n = 0; n < q->num && budget && walked < q->num; n++) {
		struct virtq_chain chain;
		struct virtq_desc d;
		int got = virtq_pop(q, h, &chain);
		if (got < 0) {
			broken(c);
			return;
		}
		if (!got) {
			empty = true;
			break;
		}
		while ((got = virtq_next(q, h, &chain, &d)) > 0) {
			if (d.flags & VIRTQ_DESC_F_WRITE) { /* transmit buffers are read-only */
				broken(c);
				return;
			}
			if (!print_buffer(c, &d, &budget))
				return;
		}
		if (got < 0 || virtq_push(q, chain.head, 0)) {
			broken(c);
			return;
		}
		walked += chain.seen;
		used = true;
	}
	if (!empty && virtq_has_avail(q, h))
		virtio_mmio_dev_more(&c->vdev, TXQ);
	else if (used)
		virtio_mmio_dev_used(&c->vdev, TXQ);
}

/* Gives waiting input to the guest's receive buffers, one chain per batch of input. */
static void fill_receive(struct virtio_console *c)
{
	struct virtq *q = &c->vdev.vq[RXQ];
	const struct virtio_hooks *h = c->vdev.hooks;
	unsigned walked = 0;
	bool used = false, empty = false;

	for (unsigned n = 0; n < q->num && walked < q->num && c->rx_count; n++) {
		struct virtq_chain chain;
		struct virtq_desc d;
		uint32_t written = 0;
		int got = virtq_pop(q, h, &chain);
		if (got < 0) {
			broken(c);
			return;
		}
		if (!got) {
			empty = true;
			break;
		}
		while (c->rx_count && (got = virtq_next(q, h, &chain, &d)) > 0) {
			if (!(d.flags & VIRTQ_DESC_F_WRITE)) { /* receive buffers are write-only */
				broken(c);
				return;
			}
			for (uint32_t off = 0; off < d.len && c->rx_count;) {
				unsigned k = MIN(c->rx_count, VCONS_RX_SIZE - c->rx_head);
				k = (unsigned)MIN((uint64_t)k, (uint64_t)(d.len - off));
				if (h->write(h->ctx, ipa_init(d.addr + off), c->rx + c->rx_head,
					     k)) {
					broken(c);
					return;
				}
				c->rx_head = (c->rx_head + k) % VCONS_RX_SIZE;
				c->rx_count -= k;
				off += k;
				written += k;
			}
		}
		if (got < 0 || virtq_push(q, chain.head, written)) {
			broken(c);
			return;
		}
		c->rx_bytes += written;
		walked += chain.seen;
		used = true;
	}
	if (!empty && c->rx_count && virtq_has_avail(q, h))
		virtio_mmio_dev_more(&c->vdev, RXQ);
	else if (used)
		virtio_mmio_dev_used(&c->vdev, RXQ);
}

static void console_notify(struct virtio_dev *dev, unsigned q)
{
	if (q == TXQ)
		transmit(console_of(dev));
	else
		fill_receive(console_of(dev));
}

static void console_reset(struct virtio_dev *dev)
{
	struct virtio_console *c = console_of(dev);

	c->rx_head = c->rx_count = 0;
}

static uint8_t console_config(struct virtio_dev *dev, unsigned off)
{
	(void)dev;
	(void)off;
	return 0; /* cols, rows, max_nr_ports, emerg_wr: none of their features is offered */
}

static const struct virtio_dev_ops console_ops = {
    .device_id = VIRTIO_ID_CONSOLE,
    .features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET) | BIT(VIRTIO_F_EVENT_IDX),
    .nqueues = 2,
    .config_size = 12,
    .notify = console_notify,
    .config_read = console_config,
    .reset = console_reset,
};

void virtio_console_init(struct virtio_console *c, const struct virtio_hooks *hooks, unsigned slot,
			 void (*output)(struct virtio_console *c, const char *buf, unsigned len))
{
	memset(c, 0, sizeof(*c));
	virtio_mmio_dev_init(&c->vdev, &console_ops, hooks, slot);
	c->output = output;
}

void virtio_console_receive(struct virtio_console *c, const char *buf, unsigned len)
{
	spin_lock(&c->vdev.lock);
	for (unsigned i = 0; i < len && c->rx_count < VCONS_RX_SIZE; i++) {
		c->rx[(c->rx_head + c->rx_count) % VCONS_RX_SIZE] = (uint8_t)buf[i];
		c->rx_count++;
	}
	if (virtio_mmio_dev_live(&c->vdev) && c->vdev.vq[RXQ].ready)
		fill_receive(c);
	spin_unlock(&c->vdev.lock);
}

bool virtio_console_live(struct virtio_console *c)
{
	return virtio_mmio_dev_live(&c->vdev);
}
