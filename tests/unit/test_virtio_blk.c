/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kestrel's virtio-blk on the virtio-mmio window, driven as a guest driver would through its
 * registers, over a fake guest RAM and a disk in memory: the requests, their failures, and the
 * chains that are no request at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/lib.h>
#include <kestrel/virtio_blk.h>

#include "virtio_driver.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x800000ull /* room for a request of more than VBLK_REQ_MAX */
#define SECTORS	 64
#define BUF_SIZE 2048 /* smaller than a request: data moves in pieces */
#define QSIZE	 8
#define DESC	 0x1000 /* ring offsets in RAM */
#define AVAIL	 0x2000
#define USED	 0x3000
#define DATA	 0x10000

static _Alignas(16) uint8_t ram[RAM_SIZE]; /* the rings are loaded in place, aligned */
static uint8_t disk[SECTORS * 512];
static uint8_t dbuf[BUF_SIZE];
static struct virtio_mmio window;
static struct virtio_blk blk;
static unsigned irqs, ios, flushes;
static bool io_fails;
/* Deferred: io() says VBLK_IO_PENDING and the piece is done by complete(), as an interrupt
   would. */
static bool deferred;
static struct {
	bool pending;
	uint32_t type, len;
	uint64_t sector;
} piece;
static uint16_t avail_idx;

static bool in_ram(void *ctx, ipa_t ipa, uint64_t size)
{
	uint64_t a = ipa_addr(ipa);

	(void)ctx;
	return a >= RAM_BASE && size <= RAM_SIZE && a - RAM_BASE <= RAM_SIZE - size;
}

static int h_read(void *ctx, ipa_t src, void *dst, uint64_t size)
{
	if (!in_ram(ctx, src, size))
		return -E_RANGE;
	memcpy(dst, ram + (ipa_addr(src) - RAM_BASE), size);
	return E_OK;
}

static int h_write(void *ctx, ipa_t dst, const void *src, uint64_t size)
{
	if (!in_ram(ctx, dst, size))
		return -E_RANGE;
	memcpy(ram + (ipa_addr(dst) - RAM_BASE), src, size);
	return E_OK;
}

static void h_irq(void *ctx, unsigned slot)
{
	(void)ctx;
	assert_int_equal(slot, 2);
	irqs++;
}

/* In place: a "physical address" is where the byte is in the fake RAM. */
static int h_dma(void *ctx, struct dma_seg *seg, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!seg[i].len || !in_ram(ctx, ipa_init(seg[i].pa), seg[i].len))
			return -E_RANGE;
		seg[i].pa = (uint64_t)(uintptr_t)(ram + (seg[i].pa - RAM_BASE));
	}
	return E_OK;
}

static unsigned maps; /* h_map's calls */

static void *h_map(void *ctx, ipa_t ipa, uint64_t size)
{
	maps++;
	return size && in_ram(ctx, ipa, size) ? ram + (ipa_addr(ipa) - RAM_BASE) : NULL;
}

static const struct virtio_hooks hooks = {NULL, h_read, h_write, in_ram, h_irq, h_dma, h_map, NULL};

/* The backend in place (make_in_place): the ranges of its last request, at most DIRECT_MAX. */
#define DIRECT_MAX 3
static struct dma_seg in_place[VBLK_DIRECT_SEGS];
static unsigned in_place_n, in_place_ios;

static int disk_io_in_place(void *ctx, uint32_t type, uint64_t sector, const struct dma_seg *seg,
			    unsigned nseg)
{
	uint64_t pos = sector * 512;

	(void)ctx;
	assert_true(nseg > 0 && nseg <= DIRECT_MAX);
	in_place_ios++;
	in_place_n = nseg;
	memcpy(in_place, seg, nseg * sizeof(*seg));
	for (unsigned i = 0; i < nseg; pos += seg[i++].len) {
		uint8_t *p = (uint8_t *)(uintptr_t)seg[i].pa;
		assert_true(p >= ram && p + seg[i].len <= ram + RAM_SIZE);
		assert_true(pos + seg[i].len <= sizeof(disk));
		if (type == VIRTIO_BLK_T_IN)
			memcpy(p, disk + pos, seg[i].len);
		else
			memcpy(disk + pos, p, seg[i].len);
	}
	return E_OK;
}

static int disk_io(void *ctx, uint32_t type, uint64_t sector, uint32_t len)
{
	(void)ctx;
	ios++;
	if (io_fails)
		return -E_RANGE;
	if (deferred) {
		assert_false(piece.pending); /* one piece at a time */
		piece.pending = true;
		piece.type = type;
		piece.sector = sector;
		piece.len = len;
		return VBLK_IO_PENDING;
	}
	if (type == VIRTIO_BLK_T_FLUSH) {
		flushes++;
		return E_OK;
	}
	assert_true(len <= BUF_SIZE && len % 512 == 0);
	assert_true(sector + len / 512 <= SECTORS);
	if (type == VIRTIO_BLK_T_IN)
		memcpy(dbuf, disk + sector * 512, len);
	else
		memcpy(disk + sector * 512, dbuf, len);
	return E_OK;
}

/* The deferred piece is done: the disk does it now, and the device hears of it. */
static void complete(bool ok)
{
	assert_true(piece.pending);
	piece.pending = false;
	if (ok && piece.type == VIRTIO_BLK_T_IN)
		memcpy(dbuf, disk + piece.sector * 512, piece.len);
	else if (ok && piece.type == VIRTIO_BLK_T_OUT)
		memcpy(disk + piece.sector * 512, dbuf, piece.len);
	flushes += ok && piece.type == VIRTIO_BLK_T_FLUSH;
	virtio_blk_done(&blk, ok);
}

static uint32_t rd(unsigned reg)
{
	uint64_t v = 0;

	assert_true(
	    window.dev.ops->read(&window.dev, NULL, 2 * VIRTIO_MMIO_SLOT_SIZE + reg, 4, &v));
	return (uint32_t)v;
}

static void wr(unsigned reg, uint32_t v)
{
	assert_true(
	    window.dev.ops->write(&window.dev, NULL, 2 * VIRTIO_MMIO_SLOT_SIZE + reg, 4, v));
}

static void reg_write(void *ctx, uint64_t off, uint32_t v)
{
	(void)ctx;
	wr((unsigned)off, v);
}

static void put16(uint64_t off, uint16_t v)
{
	ram[off] = (uint8_t)v;
	ram[off + 1] = (uint8_t)(v >> 8);
}

static uint16_t get16(uint64_t off)
{
	return (uint16_t)(ram[off] | ram[off + 1] << 8);
}

static void make(bool read_only)
{
	struct virtio_blk_backend be = {NULL, SECTORS, read_only, dbuf, BUF_SIZE, disk_io, NULL, 0};

	memset(ram, 0, sizeof(ram));
	for (unsigned i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + i / 512);
	irqs = ios = flushes = 0;
	io_fails = deferred = false;
	memset(&piece, 0, sizeof(piece));
	avail_idx = 0;
	virtio_mmio_init(&window, VIRTIO_MMIO_BASE);
	virtio_blk_init(&blk, &hooks, 2, &be, "vm0/disk0");
	window.slot[2] = &blk.vdev;
}

/* The same, with a backend that takes whole requests in place. */
static void make_in_place(void)
{
	make(false);
	blk.be.io_direct = disk_io_in_place;
	blk.be.direct_max = DIRECT_MAX;
	in_place_n = in_place_ios = 0;
}

/* The spec's initialization (§3.1.1) with the features given; whether FEATURES_OK held. */
static bool start(uint64_t features)
{
	virtio_negotiate(reg_write, NULL, features);
	if (!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	virtio_queue(reg_write, NULL, 0, QSIZE, RAM_BASE + DESC, RAM_BASE + AVAIL, RAM_BASE + USED);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	return true;
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	virtq_desc_bytes(ram + DESC + 16 * i, addr, len, flags, next);
}

static void header(uint64_t off, uint32_t type, uint64_t sector)
{
	memset(ram + off, 0, 16);
	for (unsigned b = 0; b < 4; b++)
		ram[off + b] = (uint8_t)(type >> (8 * b));
	for (unsigned b = 0; b < 8; b++)
		ram[off + 8 + b] = (uint8_t)(sector >> (8 * b));
}

static void offer(uint16_t head)
{
	put16(AVAIL + 4 + 2 * (avail_idx % QSIZE), head);
	put16(AVAIL + 2, ++avail_idx);
}

/* A request the way Linux lays it out: header, one data buffer, status; offered and notified.
   Returns the status byte (0xee if none was written). */
static int request(uint32_t type, uint64_t sector, uint32_t len, bool data_writable)
{
	const uint64_t hdr = 0x8000, status = 0x8100;

	header(hdr, type, sector);
	ram[status] = 0xee;
	desc(0, RAM_BASE + hdr, 16, VIRTQ_DESC_F_NEXT, 1);
	if (len) {
		desc(1, RAM_BASE + DATA, len,
		     VIRTQ_DESC_F_NEXT | (data_writable ? VIRTQ_DESC_F_WRITE : 0), 2);
		desc(2, RAM_BASE + status, 1, VIRTQ_DESC_F_WRITE, 0);
	} else {
		desc(0, RAM_BASE + hdr, 16, VIRTQ_DESC_F_NEXT, 2);
		desc(2, RAM_BASE + status, 1, VIRTQ_DESC_F_WRITE, 0);
	}
	offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	return ram[status];
}

static uint32_t used_len(unsigned n)
{
	const uint8_t *e = ram + USED + 4 + 8 * (n % QSIZE);

	return (uint32_t)(e[4] | e[5] << 8 | e[6] << 16 | (uint32_t)e[7] << 24);
}

static bool needs_reset(void)
{
	return (rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET) != 0;
}

static void registers_and_configuration(void **state)
{
	(void)state;
	make(false);
	assert_int_equal(rd(VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES),
			 BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) |
			     BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_F_EVENT_IDX));
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES),
			 (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET)) >> 32);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1); /* one queue only */
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 512);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG), SECTORS); /* capacity, low half */
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG + 4), 0);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG + 12), VBLK_SEG_MAX);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG + 20), 512);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG + 24), 0); /* past the end */
	/* an unoffered feature (F_RO on a writable disk) is refused */
	assert_false(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_RO)));
	assert_true(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_FLUSH)));
}

static void reads_writes_flushes_and_id(void **state)
{
	(void)state;
	make(false);
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	/* a read of 5 sectors from sector 3, through a buffer of 4 */
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 5 * 512, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(ram + DATA, disk + 3 * 512, 5 * 512);
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(used_len(0), 5 * 512 + 1);
	assert_int_equal(irqs, 1);
	/* a write of 3 sectors to the last three */
	memset(ram + DATA, 0x5a, 3 * 512);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, SECTORS - 3, 3 * 512, false), VIRTIO_BLK_S_OK);
	for (unsigned i = (SECTORS - 3) * 512; i < SECTORS * 512; i++)
		assert_int_equal(disk[i], 0x5a);
	assert_int_equal(used_len(1), 1);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	assert_int_equal(flushes, 1);
	assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(ram + DATA, "vm0/disk0\0\0\0\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(used_len(3), 21);
	assert_false(needs_reset());
}

static void wrong_requests_fail_and_the_device_goes_on(void **state)
{
	(void)state;
	make(false);
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	/* past the end, across the end, a sector that wraps, not whole sectors, too big */
	assert_int_equal(request(VIRTIO_BLK_T_IN, SECTORS, 512, true), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, SECTORS - 1, 1024, false), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_IN, UINT64_MAX, 512, true), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 100, true), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, VBLK_REQ_MAX + 512, true), VIRTIO_BLK_S_IOERR);
	assert_int_equal(ios, 0);
	assert_int_equal(request(77, 0, 512, true), VIRTIO_BLK_S_UNSUPP);
	io_fails = true; /* the machine's disk fails */
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_IOERR);
	io_fails = false;
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_OK);
	assert_false(needs_reset());
	assert_int_equal(blk.failed, 7);
}

static void a_read_only_disk_fails_writes(void **state)
{
	uint8_t before[sizeof(disk)];

	(void)state;
	make(true);
	memcpy(before, disk, sizeof(disk));
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_true(rd(VIRTIO_MMIO_DEVICE_FEATURES) & BIT(VIRTIO_BLK_F_RO));
	assert_true(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_RO)));
	memset(ram + DATA, 0xff, 512);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, 512, false), VIRTIO_BLK_S_IOERR);
	assert_memory_equal(disk, before, sizeof(disk));
	assert_int_equal(ios, 0);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(ram + DATA, disk + 512, 512);
}

/* Any layout: the header cut in two, data in three pieces of odd sizes, the status after the
   last data byte in the same descriptor. */
static void a_request_cut_anywhere_is_served(void **state)
{
	(void)state;
	make(false);
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	header(0x8000, VIRTIO_BLK_T_IN, 2);
	desc(0, RAM_BASE + 0x8000, 5, VIRTQ_DESC_F_NEXT, 4);
	desc(4, RAM_BASE + 0x8005, 11, VIRTQ_DESC_F_NEXT, 6);
	desc(6, RAM_BASE + DATA, 100, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(1, RAM_BASE + DATA + 0x1000, 900, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	desc(3, RAM_BASE + DATA + 0x2000, 25, VIRTQ_DESC_F_WRITE, 0); /* 24 data, 1 status */
	ram[DATA + 0x2000 + 24] = 0xee;
	offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(ram[DATA + 0x2000 + 24], VIRTIO_BLK_S_OK);
	assert_memory_equal(ram + DATA, disk + 1024, 100);
	assert_memory_equal(ram + DATA + 0x1000, disk + 1024 + 100, 900);
	assert_memory_equal(ram + DATA + 0x2000, disk + 1024 + 1000, 24);
	assert_int_equal(used_len(0), 1025);
}

/* Chains that are no request, and buffers the guest does not own: NEEDS_RESET, nothing used,
   the disk untouched; a reset brings the device back. */
static void broken_chains_need_a_reset(void **state)
{
	static const struct {
		const char *what;
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
	} bad[] = {
	    {"no status byte", RAM_BASE + DATA, 512, 0},
	    {"data outside RAM", RAM_BASE + RAM_SIZE, 512, VIRTQ_DESC_F_WRITE},
	    {"data across the end of RAM", RAM_BASE + RAM_SIZE - 256, 512, VIRTQ_DESC_F_WRITE},
	    {"data wrapping the address space", UINT64_MAX - 100, 512, VIRTQ_DESC_F_WRITE},
	    {"an indirect descriptor", RAM_BASE + DATA, 512, VIRTQ_DESC_F_INDIRECT},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		make(false);
		assert_true(start(BIT(VIRTIO_F_VERSION_1)));
		header(0x8000, VIRTIO_BLK_T_IN, 0);
		desc(0, RAM_BASE + 0x8000, 16, VIRTQ_DESC_F_NEXT, 1);
		desc(1, bad[i].addr, bad[i].len, bad[i].flags, 0);
		offer(0);
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		if (!needs_reset())
			fail_msg("%s: not NEEDS_RESET", bad[i].what);
		assert_int_equal(get16(USED + 2), 0);
		assert_int_equal(ios, 0);
		assert_true(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
		avail_idx = 0;
		memset(ram + AVAIL, 0, 0x100);
		assert_true(start(BIT(VIRTIO_F_VERSION_1)));
		assert_false(needs_reset());
		assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_OK);
	}
	/* a header shorter than 16 bytes */
	make(false);
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	desc(0, RAM_BASE + 0x8000, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, RAM_BASE + 0x8100, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_true(needs_reset());
	/* a looping chain */
	make(false);
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	header(0x8000, VIRTIO_BLK_T_IN, 0);
	desc(0, RAM_BASE + 0x8000, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(1, RAM_BASE + DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_true(needs_reset());
	assert_int_equal(ios, 0);
}

/* A notify takes no new chain once num descriptors were walked; the rest is done when the
   driver acknowledges the interrupt for the first part. */
static void a_notify_is_bounded_and_the_rest_follows_the_ack(void **state)
{
	(void)state;
	make(false);
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	header(0x8000, VIRTIO_BLK_T_IN, 0);
	desc(0, RAM_BASE + 0x8000, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(1, RAM_BASE + DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(2, RAM_BASE + 0x8100, 1, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 6; i++) /* six requests of 3 descriptors: 18 > num (8) */
		offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(get16(USED + 2), 3); /* the third took the walk past 8 */
	assert_true(blk.vdev.more & BIT(0));
	assert_int_equal(irqs, 1);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
	assert_int_equal(get16(USED + 2), 6);
	assert_false(blk.vdev.more);
	assert_int_equal(irqs, 2);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED); /* nothing left: nothing happens */
	assert_int_equal(get16(USED + 2), 6);
	assert_int_equal(ios, 6);
}

/* A reset in the middle (Status 0, or a queue reset) forgets what was left over. */
static void a_queue_reset_forgets_the_ring(void **state)
{
	(void)state;
	make(false);
	assert_true(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET)));
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_OK);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_RESET, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* not ready: nothing */
	assert_int_equal(ios, 1);
	/* set up again from scratch */
	memset(ram + AVAIL, 0, 0x100);
	memset(ram + USED, 0, 0x100);
	avail_idx = 0;
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(RAM_BASE + DESC));
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(RAM_BASE + AVAIL));
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(RAM_BASE + USED));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(get16(USED + 2), 1);
	assert_memory_equal(ram + DATA, disk + 512, 512);
}

/* The rings are checked and mapped when the queue is made ready, once, not per request; a ring
   misaligned or past the RAM's end is refused (nothing mapped, NEEDS_RESET); a reset lets go. */
static void rings_are_mapped_once_at_ready(void **state)
{
	struct virtq *q = &blk.vdev.vq[0];
	const uint64_t features = BIT(VIRTIO_F_VERSION_1);

	(void)state;
	make(false);
	maps = 0;
	assert_true(start(features));
	assert_int_equal(maps, 3);
	assert_ptr_equal(q->desc_p, ram + DESC);
	assert_ptr_equal(q->avail_p, ram + AVAIL);
	assert_ptr_equal(q->used_p, ram + USED);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(request(VIRTIO_BLK_T_IN, i, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(maps, 3);

	wr(VIRTIO_MMIO_STATUS, 0);
	assert_null(q->desc_p);
	assert_null(q->used_p);

	/* misaligned: the descriptor table 8 bytes off its 16 */
	virtio_negotiate(reg_write, NULL, features);
	virtio_queue(reg_write, NULL, 0, QSIZE, RAM_BASE + DESC + 8, RAM_BASE + AVAIL,
		     RAM_BASE + USED);
	assert_true(needs_reset());
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_null(q->desc_p);

	/* the used ring running past the end of the RAM, by its last bytes */
	virtio_negotiate(reg_write, NULL, features);
	virtio_queue(reg_write, NULL, 0, QSIZE, RAM_BASE + DESC, RAM_BASE + AVAIL,
		     RAM_BASE + RAM_SIZE - (4 + 8 * QSIZE));
	assert_true(needs_reset());
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_null(q->desc_p);
	assert_null(q->avail_p);

	/* more entries than QueueNumMax (512) */
	virtio_negotiate(reg_write, NULL, features);
	virtio_queue(reg_write, NULL, 0, 1024, RAM_BASE + DESC, RAM_BASE + AVAIL, RAM_BASE + USED);
	assert_true(needs_reset());
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_null(q->desc_p);
	assert_int_equal(ios, 3);
}

/* A request whose pieces finish later, as the machine's disk's interrupts come: the chain is
   used after the last piece, chains offered meanwhile wait, a failed piece fails it. */
static void pieces_finish_later(void **state)
{
	(void)state;
	make(false);
	deferred = true;
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	memset(ram + DATA, 0, 5 * 512);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 5 * 512, true), 0xee); /* not yet */
	assert_int_equal(get16(USED + 2), 0);
	offer(0); /* the same chain again: it waits */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(ios, 1);
	complete(true); /* 2048 of 2560 bytes */
	assert_int_equal(get16(USED + 2), 0);
	complete(true); /* the rest: used; the second chain begins */
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(irqs, 1);
	assert_memory_equal(ram + DATA, disk + 3 * 512, 5 * 512);
	assert_int_equal(used_len(0), 5 * 512 + 1);
	assert_true(piece.pending);
	complete(false); /* the disk failed it */
	assert_int_equal(ram[0x8100], VIRTIO_BLK_S_IOERR);
	assert_int_equal(get16(USED + 2), 2);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, false), 0xee);
	complete(true);
	assert_int_equal(ram[0x8100], VIRTIO_BLK_S_OK);
	assert_int_equal(flushes, 1);
	assert_false(needs_reset());
}

/* A reset, or a queue reset, while a piece is at the disk: its end writes nothing into the
   guest's memory and uses nothing; the device starts again once it is back. */
static void a_reset_drops_the_request_at_the_disk(void **state)
{
	for (unsigned how = 0; how < 2; how++) {
		(void)state;
		make(false);
		deferred = true;
		assert_true(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET)));
		memset(ram + DATA, 0x11, 512);
		assert_int_equal(request(VIRTIO_BLK_T_IN, 2, 512, true), 0xee);
		if (how == 0) {
			wr(VIRTIO_MMIO_STATUS, 0);
		} else {
			wr(VIRTIO_MMIO_QUEUE_SEL, 0);
			wr(VIRTIO_MMIO_QUEUE_RESET, 1);
		}
		assert_false(virtio_blk_idle(&blk));
		complete(true);
		assert_true(virtio_blk_idle(&blk));
		assert_int_equal(ram[DATA], 0x11);
		assert_int_equal(ram[0x8100], 0xee);
		assert_int_equal(get16(USED + 2), 0);
		memset(ram + AVAIL, 0, 0x100);
		avail_idx = 0;
		assert_true(start(BIT(VIRTIO_F_VERSION_1)));
		assert_int_equal(request(VIRTIO_BLK_T_IN, 2, 512, true), 0xee);
		complete(true);
		assert_int_equal(ram[0x8100], VIRTIO_BLK_S_OK);
		assert_memory_equal(ram + DATA, disk + 2 * 512, 512);
	}
}

/* EVENT_IDX's fields (§2.7.10): the driver's used_event after the avail ring, the device's
   avail_event after the used ring. */
#define USED_EVENT  (AVAIL + 4 + 2 * QSIZE)
#define AVAIL_EVENT (USED + 4 + 8 * QSIZE)

/* With EVENT_IDX an interrupt comes only when used_event is among the chains used since the
   last one, and kestrel asks for a notify of the next chain once it finds the ring empty. */
static void event_idx_interrupts_and_notifies(void **state)
{
	(void)state;
	make(false);
	put16(USED_EVENT, 0); /* an interrupt for the first chain used */
	assert_true(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_EVENT_IDX)));
	assert_int_equal(get16(AVAIL_EVENT), 0); /* found empty at DRIVER_OK: next is 0 */
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(irqs, 1);
	assert_int_equal(get16(AVAIL_EVENT), 1);
	/* used_event 2 ahead: the chains used 2 and 3 raise nothing, the fourth (index 3) does */
	put16(USED_EVENT, 3);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(irqs, 1);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(irqs, 2);
	assert_int_equal(get16(AVAIL_EVENT), 4);
	/* used_event behind (the driver does not want any): none for a whole wrap of the index */
	put16(USED_EVENT, 2);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(irqs, 2);
	/* VIRTQ_AVAIL_F_NO_INTERRUPT means nothing with EVENT_IDX */
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	put16(USED_EVENT, 104);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(irqs, 3);
	assert_false(needs_reset());
}

/* Without EVENT_IDX negotiated, kestrel writes no avail_event and reads no used_event. */
static void without_event_idx_the_flags_count(void **state)
{
	(void)state;
	make(false);
	put16(AVAIL_EVENT, 0x5555);
	put16(USED_EVENT, 0x7777);
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(irqs, 1);
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(irqs, 1);
	assert_int_equal(get16(AVAIL_EVENT), 0x5555);
	/* a device whose VM turned EVENT_IDX off does not offer it */
	make(false);
	blk.vdev.features &= ~BIT(VIRTIO_F_EVENT_IDX);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_false(rd(VIRTIO_MMIO_DEVICE_FEATURES) & BIT(VIRTIO_F_EVENT_IDX));
	assert_false(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_EVENT_IDX)));
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
}

/* While a request is at the disk, avail_event stays behind (the driver does not notify for the
   chains it adds meanwhile); the end of the request takes them and asks again. */
static void event_idx_no_notifies_while_the_disk_works(void **state)
{
	(void)state;
	make(false);
	deferred = true;
	assert_true(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_EVENT_IDX)));
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 512, true), 0xee);
	assert_int_equal(get16(AVAIL_EVENT), 0);
	offer(0);
	offer(0);
	assert_int_equal(get16(AVAIL_EVENT), 0);
	complete(true);
	complete(true);
	complete(true);
	assert_int_equal(get16(USED + 2), 3);
	assert_int_equal(get16(AVAIL_EVENT), 3);
}

/* A notify's bound leaves chains on the ring: the interrupt comes even if used_event says no
   (with EVENT_IDX the driver would not notify again), and its acknowledgement goes on. */
static void event_idx_leftovers_interrupt_anyway(void **state)
{
	(void)state;
	make(false);
	put16(USED_EVENT, 0x8000); /* far away: no interrupt wanted */
	assert_true(start(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_EVENT_IDX)));
	header(0x8000, VIRTIO_BLK_T_IN, 0);
	desc(0, RAM_BASE + 0x8000, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(1, RAM_BASE + DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(2, RAM_BASE + 0x8100, 1, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 6; i++)
		offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(get16(USED + 2), 3);
	assert_int_equal(irqs, 1);
	assert_true(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_USED);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
	assert_int_equal(get16(USED + 2), 6);
	/* all done: used_event decides again, but the first decision since the queue was made
	   ready has nothing to compare with and interrupts; the next one follows used_event */
	assert_int_equal(irqs, 2);
	assert_int_equal(get16(AVAIL_EVENT), 6);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK);
	assert_int_equal(irqs, 2);
}

/* A backend in place gets a whole read or write as the guest's own buffers, one range a
   descriptor wherever the guest cut them, and the buffer is not used; a request with more
   ranges than the backend takes goes through the buffer in pieces, as before. */
static void requests_go_in_place_when_the_backend_can(void **state)
{
	(void)state;
	make_in_place();
	assert_true(start(BIT(VIRTIO_F_VERSION_1)));
	memset(dbuf, 0x77, sizeof(dbuf));
	/* 5 sectors, more than the buffer holds: one request, one range */
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 5 * 512, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(ram + DATA, disk + 3 * 512, 5 * 512);
	assert_int_equal(in_place_ios, 1);
	assert_int_equal(ios, 0);
	assert_int_equal(in_place_n, 1);
	assert_ptr_equal((void *)(uintptr_t)in_place[0].pa, ram + DATA);
	assert_int_equal(in_place[0].len, 5 * 512);
	assert_int_equal(used_len(0), 5 * 512 + 1);
	for (unsigned i = 0; i < sizeof(dbuf); i++)
		assert_int_equal(dbuf[i], 0x77);
	/* a write cut as header + 10 bytes, 502 bytes, 512 bytes: three ranges, the header's
	   descriptor giving its tail */
	header(0x8000, VIRTIO_BLK_T_OUT, 7);
	memset(ram + 0x8010, 0x31, 10);
	memset(ram + DATA, 0x32, 502);
	memset(ram + DATA + 0x1000, 0x33, 512);
	desc(0, RAM_BASE + 0x8000, 26, VIRTQ_DESC_F_NEXT, 1);
	desc(1, RAM_BASE + DATA, 502, VIRTQ_DESC_F_NEXT, 2);
	desc(2, RAM_BASE + DATA + 0x1000, 512, VIRTQ_DESC_F_NEXT, 3);
	desc(3, RAM_BASE + 0x8100, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(ram[0x8100], VIRTIO_BLK_S_OK);
	assert_int_equal(in_place_ios, 2);
	assert_int_equal(in_place_n, 3);
	assert_ptr_equal((void *)(uintptr_t)in_place[0].pa, ram + 0x8010);
	assert_int_equal(in_place[0].len, 10);
	assert_int_equal(disk[7 * 512], 0x31);
	assert_int_equal(disk[7 * 512 + 10], 0x32);
	assert_int_equal(disk[8 * 512 + 511], 0x33);
	/* four ranges, more than the backend takes: through the buffer */
	header(0x8000, VIRTIO_BLK_T_IN, 0);
	for (unsigned i = 0; i < 4; i++)
		desc(1 + i, RAM_BASE + DATA + 0x1000 * i, 512,
		     VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(2 + i));
	desc(0, RAM_BASE + 0x8000, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(5, RAM_BASE + 0x8100, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(ram[0x8100], VIRTIO_BLK_S_OK);
	assert_int_equal(in_place_ios, 2);
	assert_int_equal(ios, 1); /* 2048 bytes: one piece */
	assert_memory_equal(ram + DATA + 0x3000, disk + 3 * 512, 512);
	/* a flush has no data: the plain path */
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	assert_int_equal(flushes, 1);
	assert_false(needs_reset());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(registers_and_configuration),
	    cmocka_unit_test(reads_writes_flushes_and_id),
	    cmocka_unit_test(wrong_requests_fail_and_the_device_goes_on),
	    cmocka_unit_test(a_read_only_disk_fails_writes),
	    cmocka_unit_test(a_request_cut_anywhere_is_served),
	    cmocka_unit_test(broken_chains_need_a_reset),
	    cmocka_unit_test(a_notify_is_bounded_and_the_rest_follows_the_ack),
	    cmocka_unit_test(a_queue_reset_forgets_the_ring),
	    cmocka_unit_test(rings_are_mapped_once_at_ready),
	    cmocka_unit_test(pieces_finish_later),
	    cmocka_unit_test(a_reset_drops_the_request_at_the_disk),
	    cmocka_unit_test(event_idx_interrupts_and_notifies),
	    cmocka_unit_test(without_event_idx_the_flags_count),
	    cmocka_unit_test(event_idx_no_notifies_while_the_disk_works),
	    cmocka_unit_test(event_idx_leftovers_interrupt_anyway),
	    cmocka_unit_test(requests_go_in_place_when_the_backend_can),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
