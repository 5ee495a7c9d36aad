/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/vdev/virtq.c hyp/vdev/virtio_mmio.c hyp/vdev/virtio_console.c */
/*
 * The virtio-mmio window with kestrel's virtio-console in slot 0, driven by a hostile guest:
 * register accesses, rings and buffers anywhere (in its fake RAM or not), guest memory that
 * changes while the device reads it, notifies and console input in any order. Each operation
 * starts with one byte whose low 3 bits say what it is:
 *   0  register write: a register selector (a byte: an entry of regs[], or with bit 7 set a
 *      u16 offset follows), a value selector (a byte: common[], or with bit 7 a u32 follows)
 *   1  register read: a register selector, the width (1 << bits 3..4)
 *   2  the spec's initialization: reset, ACKNOWLEDGE, DRIVER, the offered features (EVENT_IDX
 *      only with bit 7), FEATURES_OK, both queues (size 2 << bits 3..5 or, with bit 6, any u16)
 *      at three u16 RAM offsets each, DRIVER_OK
 *   3  RAM write: u16 offset, length byte, that many bytes
 *   4  a descriptor: queue (bit 3), index byte, address (u16 RAM offset, or u64 with bit 4),
 *      length (u16, or u32 with bit 5), flags byte, next byte; then, with bit 6, it is offered
 *      (its index goes on the avail ring, avail idx + 1)
 *   5  QueueNotify: queue (bits 3..4)
 *   6  console input: 1 + bits 3..7 bytes
 *   7  from now on, every read the device makes changes a RAM byte (u16 offset, XOR byte):
 *      the guest rewriting its rings while kestrel reads them
 * The RAM is a heap block of exactly its size at IPA RAM_BASE, reached only through the hooks,
 * which check ranges as kestrel's vm_copy_*_guest do and fail the input if the device asks for
 * something unreasonable. Checked: output comes from the device's own copy of what it read (no
 * second fetch); the work of one access is bounded (hook calls, bytes printed); status rules
 * (FEATURES_OK only for offered features with VERSION_1, DRIVER_OK only after FEATURES_OK,
 * NEEDS_RESET kept until a reset); interrupts only for slot 0; every read fits its width;
 * with EVENT_IDX, a transmit notify never leaves chains on the ring without a way on (either
 * the ring is empty afterwards, or the device is to go on at the interrupt's acknowledgement).
 */
#include <stdlib.h>
#include <string.h>

#include <kestrel/virtio_console.h>

#include "guest_ram.h"
#include "harness.h"
#include "virtio_ops.h"
#include "virtio_driver.h"
#include "virtio_regs.h"

#define SLOT 0
/* One access: at most two notifies (DRIVER_OK looks at both queues), each taking at most num
   chains (2 reads, 2 writes) and walking fewer than 2 num descriptors (a read and a range
   check each, and a partial chunk of data), plus the data in chunks within the budget. */
#define MAX_CALLS (2ull * (10 * VIRTQ_NUM_MAX + VCONS_TX_BUDGET / VCONS_CHUNK + 24))

static uint8_t *ram;
static struct virtio_mmio window;
static struct virtio_console cons;

static struct {
	uint64_t calls, printed, irqs;
	struct ram_mutation mutation;
	uint8_t last[VCONS_CHUNK]; /* what the last read of up to a chunk returned */
	uint64_t last_len;
} seen;

static void count_call(void)
{
	seen.calls++;
	FUZZ_CHECK(seen.calls <= MAX_CALLS, "more than %llu memory accesses for one guest access",
		   (unsigned long long)MAX_CALLS);
}

static int h_read(void *ctx, ipa_t src, void *dst, uint64_t size)
{
	FUZZ_CHECK(ctx == &cons, "hooks of another device");
	FUZZ_CHECK(size <= VCONS_CHUNK, "a read of %llu bytes at once", (unsigned long long)size);
	count_call();
	if (ram_read(ram, src, dst, size) != E_OK)
		return -E_RANGE;
	memcpy(seen.last, dst, size);
	seen.last_len = size;
	ram_mutate(ram, &seen.mutation);
	return E_OK;
}

static int h_write(void *ctx, ipa_t dst, const void *src, uint64_t size)
{
	FUZZ_CHECK(ctx == &cons, "hooks of another device");
	FUZZ_CHECK(size <= VCONS_RX_SIZE, "a write of %llu bytes at once",
		   (unsigned long long)size);
	count_call();
	return ram_write(ram, dst, src, size);
}

static bool h_in_ram(void *ctx, ipa_t ipa, uint64_t size)
{
	FUZZ_CHECK(ctx == &cons, "hooks of another device");
	count_call();
	return in_ram(ipa, size);
}

static void *h_map(void *ctx, ipa_t ipa, uint64_t size)
{
	FUZZ_CHECK(ctx == &cons, "hooks of another device");
	count_call();
	return ram_map(ram, ipa, size);
}

static void h_after_ring_read(void *ctx)
{
	FUZZ_CHECK(ctx == &cons, "hooks of another device");
	count_call();
	ram_mutate(ram, &seen.mutation);
}

static void h_irq(void *ctx, unsigned slot)
{
	FUZZ_CHECK(ctx == &cons, "hooks of another device");
	FUZZ_CHECK(slot == SLOT, "interrupt of slot %u", slot);
	seen.irqs++;
}

static const struct virtio_hooks hooks = {&cons, h_read, h_write, h_in_ram,
					  h_irq, NULL,	 h_map,	  h_after_ring_read};

/* Output is what the device read last, from its own copy: never fetched a second time. */
static void output(struct virtio_console *c, const char *buf, unsigned len)
{
	FUZZ_CHECK(c == &cons, "output of another console");
	FUZZ_CHECK(len && len <= VCONS_CHUNK && len == seen.last_len, "output of %u bytes", len);
	FUZZ_CHECK(!memcmp(buf, seen.last, len), "output differs from what was read");
	seen.printed += len;
	FUZZ_CHECK(seen.printed <= 2 * VCONS_TX_BUDGET, "%llu bytes printed for one access",
		   (unsigned long long)seen.printed);
}

static uint64_t width_mask(unsigned width)
{
	return width < 8 ? BIT(8 * width) - 1 : ~0ull;
}

static uint32_t status(void)
{
	return cons.vdev.status;
}

static void check_status(uint32_t before, uint64_t off, uint32_t val)
{
	uint32_t now = status();
	const struct virtio_dev *d = &cons.vdev;

	if (now & VIRTIO_STATUS_FEATURES_OK)
		FUZZ_CHECK(!(d->drv_features & ~d->features) &&
			       (d->drv_features & BIT(VIRTIO_F_VERSION_1)),
			   "FEATURES_OK with driver features 0x%llx",
			   (unsigned long long)d->drv_features);
	if (now & VIRTIO_STATUS_DRIVER_OK)
		FUZZ_CHECK(now & VIRTIO_STATUS_FEATURES_OK, "DRIVER_OK without FEATURES_OK");
	/* Only a reset clears NEEDS_RESET. */
	if ((before & VIRTIO_STATUS_NEEDS_RESET) && !(off == VIRTIO_MMIO_STATUS && val == 0))
		FUZZ_CHECK(now & VIRTIO_STATUS_NEEDS_RESET, "NEEDS_RESET cleared without a reset");
	for (unsigned q = 0; q < VIRTQ_QUEUES_MAX; q++) {
		const struct virtq *vq = &d->vq[q];
		if (vq->ready)
			FUZZ_CHECK(vq->num && vq->num <= VIRTQ_NUM_MAX &&
				       !(vq->num & (vq->num - 1)),
				   "queue %u ready with size %u", q, vq->num);
	}
	FUZZ_CHECK(cons.rx_count <= VCONS_RX_SIZE && cons.rx_head < VCONS_RX_SIZE,
		   "input FIFO %u at %u", cons.rx_count, cons.rx_head);
}

static void begin(void)
{
	seen.calls = 0;
	seen.printed = 0;
}

/* ctx: none (one device here), but the shared operations (virtio_ops.h) pass one. */
static void mmio_write(void *ctx, uint64_t off, uint32_t val)
{
	uint32_t before = status();
	bool ok;

	(void)ctx;
	begin();
	ok = window.dev.ops->write(&window.dev, NULL, off, 4, val);
	FUZZ_CHECK(ok == (off % 4 == 0), "write at 0x%llx: %d", (unsigned long long)off, ok);
	check_status(before, off < VIRTIO_MMIO_SLOT_SIZE ? off : ~0ull, val);
}

static void mmio_read(void *ctx, uint64_t off, unsigned width)
{
	uint64_t got = 0xdeadbeefdeadbeefull;
	bool ok;

	(void)ctx;
	begin();
	ok = window.dev.ops->read(&window.dev, NULL, off, width, &got);
	FUZZ_CHECK(ok == (off % width == 0), "read of width %u at 0x%llx: %d", width,
		   (unsigned long long)off, ok);
	if (ok)
		FUZZ_CHECK(!(got & ~width_mask(width)), "read wider than its width");
	if (ok && width == 4 && off == VIRTIO_MMIO_MAGIC_VALUE)
		FUZZ_CHECK(got == VIRTIO_MMIO_MAGIC, "magic 0x%llx", (unsigned long long)got);
}

static void start(struct fuzz_in *in, uint8_t op)
{
	virtio_negotiate(mmio_write, NULL,
			 BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET) |
			     (op & 0x80 ? BIT(VIRTIO_F_EVENT_IDX) : 0));
	for (uint32_t q = 0; q < 2; q++) {
		uint32_t num = op & 0x40 ? fuzz_u16(in) : 2u << ((op >> 3) & 7);
		uint64_t desc = ram_addr(in) & ~15ull, avail = ram_addr(in) & ~1ull,
			 used = ram_addr(in) & ~3ull;
		virtio_queue(mmio_write, NULL, q, num, desc, avail, used);
	}
	mmio_write(NULL, VIRTIO_MMIO_STATUS, 0xf);
}

/* After a transmit notify with EVENT_IDX, guest memory left alone: the driver posted chains
   the device did not take only if the device is to go on at the acknowledgement (it would not
   be notified of them again). */
static void check_nothing_stranded(void)
{
	const struct virtio_dev *d = &cons.vdev;
	const struct virtq *q = &d->vq[1];
	uint16_t idx;

	FUZZ_CHECK(!(d->more & ~3u), "more 0x%x", d->more);
	if (seen.mutation.on || !q->ready || !q->event_idx || !virtio_mmio_dev_live(d) ||
	    (d->more & 2) || !in_ram(ipa_add(q->avail, 2), 2))
		return;
	memcpy(&idx, ram + (ipa_addr(q->avail) + 2 - RAM_BASE), 2);
	FUZZ_CHECK(idx == q->last_avail, "chains %u..%u left without a way on", q->last_avail, idx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	unsigned ops = 0;

	memset(&seen, 0, sizeof(seen));
	ram = calloc(1, RAM_SIZE);
	FUZZ_CHECK(ram, "no memory");
	virtio_mmio_init(&window, 0x0a000000);
	virtio_console_init(&cons, &hooks, SLOT, output);
	window.slot[SLOT] = &cons.vdev;
	const struct virtio_target target = {NULL,	   mmio_write, mmio_read,     ram,
					     cons.vdev.vq, 2,	       &seen.mutation};

	while (!fuzz_done(&in) && ops++ < 4096) {
		uint8_t op = fuzz_u8(&in), buf[256];
		unsigned n;

		switch (op & 7) {
		case 2:
			start(&in, op);
			break;
		case 5:
			mmio_write(NULL, VIRTIO_MMIO_QUEUE_NOTIFY, (op >> 3) & 3);
			if (((op >> 3) & 3) == 1)
				check_nothing_stranded();
			break;
		case 6:
			n = (unsigned)fuzz_bytes(&in, buf, 1 + (op >> 3));
			begin();
			virtio_console_receive(&cons, (const char *)buf, n);
			check_status(status(), ~0ull, 0);
			break;
		default:
			virtio_op(&target, &in, op);
			break;
		}
	}
	free(ram);
	return 0;
}
