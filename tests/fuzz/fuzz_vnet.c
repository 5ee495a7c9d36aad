/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/vdev/virtq.c hyp/vdev/virtio_mmio.c hyp/vdev/virtio_net.c hyp/vdev/vswitch.c */
/*
 * Three virtio-net ports driven by hostile guests: ports 0 and 1 on switch lan0, port 2 alone
 * on lan1, each with its own fake RAM. Each operation starts with one byte whose low 3 bits
 * say what it is, done by the current port (port 0 at first):
 *   0  register write: a register selector (a byte: an entry of regs[], or with bit 7 set a
 *      u16 offset follows), a value selector (a byte: common[], or with bit 7 a u32 follows)
 *   1  register read: a register selector, the width (1 << bits 3..4)
 *   2  the spec's initialization with the net features (and EVENT_IDX with bit 7), both
 *      queues (size 2 << bits 3..5 or, with bit 6, any u16) at three u16 RAM offsets each,
 *      DRIVER_OK
 *   3  RAM write: u16 offset, length byte, that many bytes
 *   4  a descriptor: queue (bit 3), index byte, address (u16 RAM offset, or u64 with bit 4),
 *      length (u16, or u32 with bit 5), flags byte, next byte; with bit 6 it is offered
 *   5  QueueNotify: queue (bits 3..4)
 *   6  the current port becomes (bits 3..7) % 3
 *   7  from now on, every read a device makes changes a byte of its RAM (u16 offset, XOR byte)
 * The hooks check ranges as kestrel's vm_copy_*_guest do and that a device only ever reaches
 * its own guest's RAM. Checked after every operation: the work of one access is bounded;
 * status rules; each waiting frame is of a valid length and comes from another port of the
 * same switch, with that port's MAC as its source (no spoofing gets through, nothing crosses
 * switches); the queues stay within VNET_PENDING; port 2, alone on its switch, never gets a
 * frame.
 */
#include <stdlib.h>
#include <string.h>

#include <kestrel/vswitch.h>

#include "guest_ram.h"
#include "harness.h"
#include "virtio_ops.h"
#include "virtio_driver.h"
#include "virtio_regs.h"

#define PORTS 3
/* One access: a notify (or DRIVER_OK's look at both queues) takes at most num chains on
   transmit (2 reads and 2 writes each, fewer than 2 num descriptors with a read, a range check
   and a data read each) and at most VNET_PENDING on receive (descriptors bounded the same way,
   a write or two each). */
#define MAX_CALLS (4ull * (10 * VIRTQ_NUM_MAX + 8 * VNET_PENDING + 24))

struct port {
	uint8_t *ram;
	struct virtio_mmio window;
	struct virtio_net net;
	struct virtio_hooks hooks;
};

static struct port port[PORTS];
static struct vswitch lan0, lan1;

static struct {
	uint64_t calls;
	struct ram_mutation mutation;
} seen;

static struct port *port_of(void *ctx)
{
	for (unsigned i = 0; i < PORTS; i++)
		if (ctx == &port[i])
			return &port[i];
	FUZZ_CHECK(false, "hooks of no port");
	return NULL;
}

static void count_call(void)
{
	seen.calls++;
	FUZZ_CHECK(seen.calls <= MAX_CALLS, "more than %llu memory accesses for one guest access",
		   (unsigned long long)MAX_CALLS);
}

static int h_read(void *ctx, ipa_t src, void *dst, uint64_t size)
{
	struct port *p = port_of(ctx);

	FUZZ_CHECK(size <= VNET_FRAME_MAX, "a read of %llu bytes at once",
		   (unsigned long long)size);
	count_call();
	if (ram_read(p->ram, src, dst, size) != E_OK)
		return -E_RANGE;
	ram_mutate(p->ram, &seen.mutation);
	return E_OK;
}

static int h_write(void *ctx, ipa_t dst, const void *src, uint64_t size)
{
	struct port *p = port_of(ctx);

	FUZZ_CHECK(size <= VNET_FRAME_MAX, "a write of %llu bytes at once",
		   (unsigned long long)size);
	count_call();
	return ram_write(p->ram, dst, src, size);
}

static bool h_in_ram(void *ctx, ipa_t ipa, uint64_t size)
{
	port_of(ctx);
	count_call();
	return in_ram(ipa, size);
}

static void *h_map(void *ctx, ipa_t ipa, uint64_t size)
{
	struct port *p = port_of(ctx);

	count_call();
	return ram_map(p->ram, ipa, size);
}

static void h_after_ring_read(void *ctx)
{
	struct port *p = port_of(ctx);

	count_call();
	ram_mutate(p->ram, &seen.mutation);
}

static void h_irq(void *ctx, unsigned slot)
{
	port_of(ctx);
	FUZZ_CHECK(slot == 0, "interrupt of slot %u", slot);
}

/* Whether mac is the MAC of a port of sw other than p. */
static bool sender_of(const struct vswitch *sw, const struct port *p, const uint8_t *mac)
{
	for (unsigned i = 0; i < PORTS; i++)
		if (&port[i] != p && port[i].net.sw == sw &&
		    !memcmp(port[i].net.mac, mac, ETH_ALEN))
			return true;
	return false;
}

static void check(uint32_t before, uint64_t off, uint32_t val, const struct port *cur)
{
	for (unsigned i = 0; i < PORTS; i++) {
		const struct virtio_net *n = &port[i].net;
		const struct virtio_dev *d = &n->vdev;
		FUZZ_CHECK(n->pend_count <= VNET_PENDING && n->pend_head < VNET_PENDING,
			   "port %u: %u frames waiting at %u", i, n->pend_count, n->pend_head);
		for (unsigned k = 0; k < n->pend_count; k++) {
			const struct vnet_frame *f = &n->pending[(n->pend_head + k) % VNET_PENDING];
			FUZZ_CHECK(f->len >= VNET_FRAME_MIN && f->len <= VNET_FRAME_MAX,
				   "port %u: a frame of %u bytes", i, f->len);
			FUZZ_CHECK(sender_of(n->sw, &port[i], f->data + ETH_ALEN),
				   "port %u: a frame from a MAC no other port of its switch has",
				   i);
		}
		if (d->status & VIRTIO_STATUS_DRIVER_OK)
			FUZZ_CHECK(d->status & VIRTIO_STATUS_FEATURES_OK,
				   "DRIVER_OK without FEATURES_OK");
	}
	FUZZ_CHECK(!port[2].net.pend_count && !port[2].net.stats.rx_dropped,
		   "a frame reached the port alone on its switch");
	if ((before & VIRTIO_STATUS_NEEDS_RESET) && !(off == VIRTIO_MMIO_STATUS && val == 0))
		FUZZ_CHECK(cur->net.vdev.status & VIRTIO_STATUS_NEEDS_RESET,
			   "NEEDS_RESET cleared without a reset");
}

static void mmio_write(struct port *p, uint64_t off, uint32_t val)
{
	uint32_t before = p->net.vdev.status;
	bool ok;

	seen.calls = 0;
	ok = p->window.dev.ops->write(&p->window.dev, NULL, off, 4, val);
	FUZZ_CHECK(ok == (off % 4 == 0), "write at 0x%llx: %d", (unsigned long long)off, ok);
	check(before, off < VIRTIO_MMIO_SLOT_SIZE ? off : ~0ull, val, p);
}

static void mmio_read(struct port *p, uint64_t off, unsigned width)
{
	uint32_t before = p->net.vdev.status;
	uint64_t got = 0;
	bool ok;

	seen.calls = 0;
	ok = p->window.dev.ops->read(&p->window.dev, NULL, off, width, &got);
	FUZZ_CHECK(ok == (off % width == 0), "read of width %u at 0x%llx: %d", width,
		   (unsigned long long)off, ok);
	if (ok && width < 8)
		FUZZ_CHECK(!(got >> (8 * width)), "read wider than its width");
	check(before, ~0ull, 0, p);
}

static void port_write(void *ctx, uint64_t off, uint32_t val)
{
	mmio_write(ctx, off, val);
}

static void port_read(void *ctx, uint64_t off, unsigned width)
{
	mmio_read(ctx, off, width);
}

static void start(struct port *p, struct fuzz_in *in, uint8_t op)
{
	virtio_negotiate(port_write, p,
			 BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET) |
			     BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
			     (op & 0x80 ? BIT(VIRTIO_F_EVENT_IDX) : 0));
	for (uint32_t q = 0; q < 2; q++) {
		uint32_t num = op & 0x40 ? fuzz_u16(in) : 2u << ((op >> 3) & 7);
		uint64_t desc = ram_addr(in) & ~15ull, avail = ram_addr(in) & ~1ull,
			 used = ram_addr(in) & ~3ull;
		virtio_queue(port_write, p, q, num, desc, avail, used);
	}
	mmio_write(p, VIRTIO_MMIO_STATUS, 0xf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	struct port *cur = &port[0];
	unsigned ops = 0;

	memset(&seen, 0, sizeof(seen));
	vswitch_init(&lan0, "lan0");
	vswitch_init(&lan1, "lan1");
	for (unsigned i = 0; i < PORTS; i++) {
		const uint8_t mac[ETH_ALEN] = {0x02, 0, 0, 0, 0, (uint8_t)(i + 1)};
		struct port *p = &port[i];
		p->ram = calloc(1, RAM_SIZE);
		FUZZ_CHECK(p->ram, "no memory");
		p->hooks = (struct virtio_hooks){p,	h_read, h_write, h_in_ram,
						 h_irq, NULL,	h_map,	 h_after_ring_read};
		virtio_mmio_init(&p->window, VIRTIO_MMIO_BASE);
		virtio_net_init(&p->net, &p->hooks, 0, mac);
		p->window.slot[0] = &p->net.vdev;
		FUZZ_CHECK(vswitch_attach(i < 2 ? &lan0 : &lan1, &p->net) == E_OK, "attach");
	}

	while (!fuzz_done(&in) && ops++ < 4096) {
		uint8_t op = fuzz_u8(&in);
		const struct virtio_target target = {
		    cur, port_write, port_read, cur->ram, cur->net.vdev.vq, 2, &seen.mutation};

		switch (op & 7) {
		case 2:
			start(cur, &in, op);
			break;
		case 6:
			cur = &port[(op >> 3) % PORTS];
			break;
		default:
			virtio_op(&target, &in, op);
			break;
		}
	}
	for (unsigned i = 0; i < PORTS; i++)
		free(port[i].ram);
	return 0;
}
