/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/vdev/virtq.c hyp/vdev/virtio_mmio.c hyp/vdev/virtio_blk.c */
/*
 * kestrel's virtio-blk in slot 0 of the window, driven by a hostile guest over a fake RAM and
 * a disk in memory. The first byte picks the disk: bit 0 read-only; bit 1 deferred (the disk
 * says each piece is under way, and operation 6 with bit 5 finishes it, as the machine disk's
 * interrupt would, ok unless bit 6); bit 2 in place (the backend takes whole requests as
 * ranges of the guest's RAM, at most DIRECT_MAX of them, as the machine disk does). Then each
 * operation starts
 * with one byte whose low 3 bits say what it is (the encoding of fuzz_virtq.c where it can be):
 *   0  register write: a register selector (a byte: an entry of regs[], or with bit 7 set a
 *      u16 offset follows), a value selector (a byte: common[], or with bit 7 a u32 follows)
 *   1  register read: a register selector, the width (1 << bits 3..4)
 *   2  the spec's initialization with VERSION_1 (and F_RO with bit 7), the request queue of
 *      size 2 << bits 3..5 (or, with bit 6, any u16) at three u16 RAM offsets
 *   3  RAM write: u16 offset, length byte, that many bytes
 *   4  a descriptor: bit 3 unused, index byte, address (u16 RAM offset, or u64 with bit 4),
 *      length (u16, or u32 with bit 5), flags byte, next byte; then, with bit 6, it is offered
 *   5  QueueNotify: queue (bits 3..4)
 *   6  InterruptACK of bits 3..4 (or, with bit 5, the deferred piece's end)
 *   7  from now on, every read the device makes changes a RAM byte (u16 offset, XOR byte)
 * Checked: the disk is reached only in whole sectors inside it, within the buffer (in place:
 * within the guest's RAM, at most DIRECT_MAX ranges), never written when read-only; what a write
 * puts on the disk is what the device read from the guest for it (no second fetch); one access
 * moves a bounded amount of data; status rules (FEATURES_OK only for offered features with
 * VERSION_1, DRIVER_OK only after FEATURES_OK, NEEDS_RESET kept until a reset); interrupts only for
 * slot 0.
 */
#include <stdlib.h>
#include <string.h>

#include <kestrel/virtio_blk.h>

#include "guest_ram.h"
#include "harness.h"
#include "virtio_ops.h"
#include "virtio_driver.h"
#include "virtio_regs.h"

#define SECTORS	   32
#define BUF_SIZE   4096
#define SLOT	   0
#define DIRECT_MAX 5
/* One access moves at most what one notify may (the budget, and the request that crossed it)
   twice over: DRIVER_OK or an acknowledgement can follow a notify's work in the same access
   only for what the notify left. */
#define MAX_BYTES (2ull * (VBLK_NOTIFY_BUDGET + VBLK_REQ_MAX) + 4096)

static uint8_t *ram;
static uint8_t disk[SECTORS * 512];
static uint8_t buf[BUF_SIZE];
static struct virtio_mmio window;
static struct virtio_blk blk;

static struct {
	uint64_t bytes;
	bool read_only;
	struct ram_mutation mutation;
	/* For the write in progress: what the device's reads returned, in order, up to BUF_SIZE
	   bytes past the last io() call. */
	uint8_t got[BUF_SIZE];
	uint64_t got_len;
	bool deferred;
	bool piece; /* a piece is under way */
	uint32_t piece_type, piece_len;
	uint64_t piece_sector;
	const struct dma_seg *piece_seg; /* in place: its ranges (the device's, until done) */
	unsigned piece_nseg;
} seen;

static void count(uint64_t size)
{
	seen.bytes += size;
	FUZZ_CHECK(seen.bytes <= MAX_BYTES, "more than %llu bytes copied for one guest access",
		   (unsigned long long)MAX_BYTES);
}

static int h_read(void *ctx, ipa_t src, void *dst, uint64_t size)
{
	FUZZ_CHECK(ctx == &blk, "hooks of another device");
	count(size);
	if (ram_read(ram, src, dst, size) != E_OK)
		return -E_RANGE;
	/* Reads into the disk buffer are a write's data: remember them as they were read. */
	if ((uint8_t *)dst >= buf && (uint8_t *)dst < buf + BUF_SIZE) {
		uint64_t at = (uint64_t)((uint8_t *)dst - buf);
		FUZZ_CHECK(at + size <= BUF_SIZE, "a read past the disk buffer");
		memcpy(seen.got + at, dst, size);
		if (at + size > seen.got_len)
			seen.got_len = at + size;
	}
	ram_mutate(ram, &seen.mutation);
	return E_OK;
}

static int h_write(void *ctx, ipa_t dst, const void *src, uint64_t size)
{
	FUZZ_CHECK(ctx == &blk, "hooks of another device");
	count(size);
	return ram_write(ram, dst, src, size);
}

static bool h_in_ram(void *ctx, ipa_t ipa, uint64_t size)
{
	FUZZ_CHECK(ctx == &blk, "hooks of another device");
	return in_ram(ipa, size);
}

static void h_irq(void *ctx, unsigned slot)
{
	FUZZ_CHECK(ctx == &blk, "hooks of another device");
	FUZZ_CHECK(slot == SLOT, "interrupt of slot %u", slot);
}

static void *h_map(void *ctx, ipa_t ipa, uint64_t size)
{
	FUZZ_CHECK(ctx == &blk, "hooks of another device");
	return ram_map(ram, ipa, size);
}

static void h_after_ring_read(void *ctx)
{
	FUZZ_CHECK(ctx == &blk, "hooks of another device");
	ram_mutate(ram, &seen.mutation);
}

/* In place: a "physical address" is where the byte is in the fake RAM. */
static int h_dma(void *ctx, struct dma_seg *seg, unsigned n)
{
	FUZZ_CHECK(ctx == &blk, "hooks of another device");
	for (unsigned i = 0; i < n; i++) {
		if (!seg[i].len || !in_ram(ipa_init(seg[i].pa), seg[i].len))
			return -E_RANGE;
		seg[i].pa = (uint64_t)(uintptr_t)(ram + (seg[i].pa - RAM_BASE));
	}
	return E_OK;
}

static const struct virtio_hooks hooks = {&blk,	 h_read, h_write, h_in_ram,
					  h_irq, NULL,	 h_map,	  h_after_ring_read};
static const struct virtio_hooks hooks_in_place = {&blk,  h_read, h_write, h_in_ram,
						   h_irq, h_dma,  h_map,   h_after_ring_read};

static int disk_do(uint32_t type, uint64_t sector, uint32_t len);

/* A piece (or, with seg, a request in place) reaches the disk: whether it is to wait for
   operation 6 (deferred), recorded for then. */
static bool defer(void *ctx, uint32_t type, uint64_t sector, uint32_t len,
		  const struct dma_seg *seg, unsigned nseg)
{
	FUZZ_CHECK(ctx == &blk, "another disk");
	FUZZ_CHECK(!seen.piece, "a piece started while another is under way");
	if (!seen.deferred)
		return false;
	seen.piece = true;
	seen.piece_type = type;
	seen.piece_sector = sector;
	seen.piece_len = len;
	seen.piece_seg = seg;
	seen.piece_nseg = nseg;
	return true;
}

static int disk_io(void *ctx, uint32_t type, uint64_t sector, uint32_t len)
{
	if (defer(ctx, type, sector, len, NULL, 0))
		return VBLK_IO_PENDING;
	return disk_do(type, sector, len);
}

/* The disk does a request in place: checked as it reaches the disk. */
static int disk_do_in_place(uint32_t type, uint64_t sector, const struct dma_seg *seg,
			    unsigned nseg)
{
	uint64_t len = 0;

	FUZZ_CHECK(type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT, "in place: type %u", type);
	FUZZ_CHECK(!seen.read_only || type == VIRTIO_BLK_T_IN, "a write reached a read-only disk");
	FUZZ_CHECK(nseg && nseg <= DIRECT_MAX, "in place: %u ranges", nseg);
	for (unsigned i = 0; i < nseg; i++) {
		uintptr_t a = (uintptr_t)seg[i].pa;
		FUZZ_CHECK(seg[i].len && a >= (uintptr_t)ram &&
			       a - (uintptr_t)ram <= RAM_SIZE - seg[i].len,
			   "in place: a range outside the guest's RAM");
		len += seg[i].len;
	}
	FUZZ_CHECK(len % 512 == 0 && len <= VBLK_REQ_MAX, "in place: %llu bytes",
		   (unsigned long long)len);
	FUZZ_CHECK(sector < SECTORS && len / 512 <= SECTORS - sector, "sectors %llu+%llu",
		   (unsigned long long)sector, (unsigned long long)(len / 512));
	/* The ranges are the guest's descriptors: any lengths, whole sectors only together. */
	for (unsigned i = 0, pos = (unsigned)sector * 512; i < nseg; pos += seg[i++].len) {
		uint8_t *p = (uint8_t *)(uintptr_t)seg[i].pa;
		if (type == VIRTIO_BLK_T_IN)
			memcpy(p, disk + pos, seg[i].len);
		else
			memcpy(disk + pos, p, seg[i].len);
	}
	return E_OK;
}

static int disk_io_in_place(void *ctx, uint32_t type, uint64_t sector, const struct dma_seg *seg,
			    unsigned nseg)
{
	if (defer(ctx, type, sector, 0, seg, nseg))
		return VBLK_IO_PENDING;
	return disk_do_in_place(type, sector, seg, nseg);
}

/* The disk does a piece: checked as it reaches the disk. */
static int disk_do(uint32_t type, uint64_t sector, uint32_t len)
{
	if (type == VIRTIO_BLK_T_FLUSH) {
		FUZZ_CHECK(!seen.read_only, "a flush of a read-only disk reached it");
		return E_OK;
	}
	FUZZ_CHECK(len && len <= BUF_SIZE && len % 512 == 0, "a disk access of %u bytes", len);
	FUZZ_CHECK(sector < SECTORS && len / 512 <= SECTORS - sector, "sectors %llu+%u",
		   (unsigned long long)sector, len / 512);
	if (type == VIRTIO_BLK_T_IN) {
		memcpy(buf, disk + sector * 512, len);
	} else {
		FUZZ_CHECK(type == VIRTIO_BLK_T_OUT, "disk access of type %u", type);
		FUZZ_CHECK(!seen.read_only, "a write reached a read-only disk");
		FUZZ_CHECK(seen.got_len >= len && !memcmp(buf, seen.got, len),
			   "the data written is not what was read from the guest");
		memcpy(disk + sector * 512, buf, len);
	}
	seen.got_len = 0;
	return E_OK;
}

static void check_status(uint32_t before, uint64_t off, uint32_t val)
{
	const struct virtio_dev *d = &blk.vdev;
	uint32_t now = d->status;

	if (now & VIRTIO_STATUS_FEATURES_OK)
		FUZZ_CHECK(!(d->drv_features & ~d->features) &&
			       (d->drv_features & BIT(VIRTIO_F_VERSION_1)),
			   "FEATURES_OK with driver features 0x%llx",
			   (unsigned long long)d->drv_features);
	FUZZ_CHECK(!!(d->ops->features & BIT(VIRTIO_BLK_F_RO)) == seen.read_only,
		   "F_RO offered: %d", !seen.read_only);
	if (now & VIRTIO_STATUS_DRIVER_OK)
		FUZZ_CHECK(now & VIRTIO_STATUS_FEATURES_OK, "DRIVER_OK without FEATURES_OK");
	if ((before & VIRTIO_STATUS_NEEDS_RESET) && !(off == VIRTIO_MMIO_STATUS && val == 0))
		FUZZ_CHECK(now & VIRTIO_STATUS_NEEDS_RESET, "NEEDS_RESET cleared without a reset");
}

/* ctx: none (one device here), but the shared operations (virtio_ops.h) pass one. */
static void mmio_write(void *ctx, uint64_t off, uint32_t val)
{
	uint32_t before = blk.vdev.status;
	bool ok;

	(void)ctx;
	seen.bytes = 0;
	ok = window.dev.ops->write(&window.dev, NULL, off, 4, val);
	FUZZ_CHECK(ok == (off % 4 == 0), "write at 0x%llx: %d", (unsigned long long)off, ok);
	check_status(before, off < VIRTIO_MMIO_SLOT_SIZE ? off : ~0ull, val);
}

static void mmio_read(void *ctx, uint64_t off, unsigned width)
{
	uint64_t got = 0;
	bool ok;

	(void)ctx;
	ok = window.dev.ops->read(&window.dev, NULL, off, width, &got);
	FUZZ_CHECK(ok == (off % width == 0), "read of width %u at 0x%llx: %d", width,
		   (unsigned long long)off, ok);
	if (ok && width < 8)
		FUZZ_CHECK(!(got >> (8 * width)), "read wider than its width");
	if (ok && width == 4 && off == VIRTIO_MMIO_CONFIG)
		FUZZ_CHECK(got == SECTORS, "capacity %llu", (unsigned long long)got);
}

static void start(struct fuzz_in *in, uint8_t op)
{
	uint32_t num = op & 0x40 ? fuzz_u16(in) : 2u << ((op >> 3) & 7);
	uint64_t desc = ram_addr(in), avail = ram_addr(in) & ~1ull, used = ram_addr(in) & ~3ull;
	/* the descriptor table's offset is 16-byte aligned: its lowest bit says EVENT_IDX */
	uint64_t event_idx = desc & 1 ? BIT(VIRTIO_F_EVENT_IDX) : 0;

	virtio_negotiate(mmio_write, NULL,
			 BIT(VIRTIO_F_VERSION_1) | (op & 0x80 ? BIT(VIRTIO_BLK_F_RO) : 0) |
			     event_idx);
	virtio_queue(mmio_write, NULL, 0, num, desc & ~15ull, avail, used);
	mmio_write(NULL, VIRTIO_MMIO_STATUS, 0xf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	struct virtio_blk_backend be = {&blk, SECTORS, false, buf, BUF_SIZE, disk_io, NULL, 0};
	unsigned ops = 0;

	memset(&seen, 0, sizeof(seen));
	uint8_t disk_kind = fuzz_u8(&in);
	seen.read_only = be.read_only = disk_kind & 1;
	seen.deferred = (disk_kind & 2) != 0;
	if (disk_kind & 4) {
		be.io_direct = disk_io_in_place;
		be.direct_max = DIRECT_MAX;
	}
	ram = calloc(1, RAM_SIZE);
	FUZZ_CHECK(ram, "no memory");
	for (unsigned i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)i;
	virtio_mmio_init(&window, 0x0a000000);
	virtio_blk_init(&blk, disk_kind & 4 ? &hooks_in_place : &hooks, SLOT, &be, "fuzz/disk0");
	window.slot[SLOT] = &blk.vdev;
	const struct virtio_target target = {NULL,	  mmio_write, mmio_read,     ram,
					     blk.vdev.vq, 1,	      &seen.mutation};

	while (!fuzz_done(&in) && ops++ < 4096) {
		uint8_t op = fuzz_u8(&in);

		switch (op & 7) {
		case 2:
			start(&in, op);
			break;
		case 6:
			if (!(op & 0x20)) {
				mmio_write(NULL, VIRTIO_MMIO_INTERRUPT_ACK, (op >> 3) & 3);
			} else if (seen.piece) {
				uint32_t before = blk.vdev.status;
				seen.piece = false;
				seen.bytes = 0;
				bool ok =
				    !(op & 0x40) &&
				    (seen.piece_seg
					 ? disk_do_in_place(seen.piece_type, seen.piece_sector,
							    seen.piece_seg, seen.piece_nseg)
					 : disk_do(seen.piece_type, seen.piece_sector,
						   seen.piece_len)) == E_OK;
				seen.piece_seg = NULL;
				virtio_blk_done(&blk, ok);
				check_status(before, ~0ull, 0);
			}
			break;
		default:
			virtio_op(&target, &in, op);
			break;
		}
	}
	free(ram);
	return 0;
}
