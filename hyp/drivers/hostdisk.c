/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A driver for the machine's virtio-blk devices on its virtio-mmio transports (version 2),
 * one split virtqueue of up to QSIZE_MAX entries each, used one request at a time: a header,
 * the data and a status byte. The data is either at most HOSTDISK_BUF_SIZE bytes in the disk's
 * own buffer (kestrel's memory) or, for a VM's whole read or write in place, the guest's own
 * buffers: ranges of the VM's RAM that virtio_blk.c took from the guest's descriptors and
 * vm_ram_dma checked, one descriptor each. A request from a VM's disk is started and left to the
 * device: its interrupt (the transport's SPI, routed to the boot CPU) ends it and calls the disk's
 * done function, so no CPU waits in EL2 while the machine does the I/O. Only at boot (the
 * serial) and when a VM stops (hostdisk_quiesce) does kestrel poll the used ring, bounded by
 * HOSTDISK_WAIT_MS; a disk that does not answer in time then is given up (every later request
 * fails), since its late answer could not be told from the next one's, and reset, since a
 * request in place would otherwise still write into RAM the stopped VM gives back.
 *
 * kestrel maps RAM cacheable and QEMU's devices see memory coherently; a machine whose DMA is
 * not coherent would need the rings and the buffer cleaned and invalidated around a request.
 */
#include <kestrel/arch.h>
#include <kestrel/gicv3.h>
#include <kestrel/hostdisk.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/mmu.h>
#include <kestrel/palloc.h>
#include <kestrel/platform.h>
#include <kestrel/spinlock.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/virtio_blk.h>
#include <kestrel/hostdt.h>
#include <libfdt.h>

#define QSIZE_MAX  HOSTDISK_QUEUE
#define QSIZE_MIN  4
#define SERIAL_MAX VIRTIO_BLK_ID_LEN

_Static_assert(VBLK_DIRECT_SEGS + 2 <= QSIZE_MAX && !(QSIZE_MAX & (QSIZE_MAX - 1)),
	       "a request in place fits the ring, a power of two");

/* The ring's four pages: descriptors; then the avail ring, the used ring, the header and the
   status byte. */
#define RING_PAGES  4
#define RING_DESC   0x0000
#define RING_AVAIL  0x2000
#define RING_USED   0x2800
#define RING_HEADER 0x3810
#define RING_STATUS 0x3820
#define BUF_PAGES   (HOSTDISK_BUF_SIZE / PAGE_SIZE)
#define CFG_SEG_MAX 12 /* virtio-blk's configuration space (§5.2.4) */

_Static_assert(RING_AVAIL >= RING_DESC + 16 * QSIZE_MAX &&
		   RING_USED >= RING_AVAIL + 6 + 2 * QSIZE_MAX &&
		   RING_HEADER >= RING_USED + 6 + 8 * QSIZE_MAX &&
		   RING_STATUS >= RING_HEADER + 16 && RING_STATUS < RING_PAGES * PAGE_SIZE,
	       "the ring's parts do not overlap");

struct hostdisk {
	volatile uint32_t *regs;
	paddr_t ring; /* pages of kestrel's, identity-mapped: its address is the device's too */
	paddr_t buf;  /* HOSTDISK_BUF_SIZE bytes, contiguous */
	uint64_t sectors;
	bool read_only, can_flush, dead;
	uint16_t qsize;	     /* its queue's entries: a power of two, QSIZE_MIN..QSIZE_MAX */
	unsigned direct_max; /* data ranges one request may have (the ring's, the device's) */
	bool in_place;	     /* the request at the device moves a VM's memory */
	uint16_t avail_idx;
	unsigned intid;	      /* the transport's SPI; 0: none found, requests are polled */
	bool busy;	      /* a request is at the device */
	volatile bool active; /* its done function runs */
	void (*done)(void *ctx, bool ok);
	void *done_ctx;
	char serial[SERIAL_MAX + 1];
	spinlock_t lock;
};

static struct hostdisk disks[HOSTDISK_MAX];
static unsigned ndisks;

static uint32_t rd(struct hostdisk *d, unsigned off)
{
	return d->regs[off / 4];
}

static void wr(struct hostdisk *d, unsigned off, uint32_t v)
{
	d->regs[off / 4] = v;
}

static volatile uint8_t *ring_at(const struct hostdisk *d, unsigned off)
{
	return (volatile uint8_t *)(uintptr_t)(d->ring + off);
}

static void put_desc(struct hostdisk *d, unsigned i, paddr_t addr, uint32_t len, uint16_t flags)
{
	virtq_desc_bytes(ring_at(d, RING_DESC + 16 * i), addr, len, flags, (uint16_t)(i + 1));
}

static uint16_t used_idx(const struct hostdisk *d)
{
	volatile uint8_t *p = ring_at(d, RING_USED + 2);

	return (uint16_t)(p[0] | p[1] << 8);
}

/* Puts one request on the ring, its data in nseg ranges (the disk's own buffer, or a VM's
   memory: in_place), and tells the device; interrupt: the device is asked for one when it is
   done. */
static int post(struct hostdisk *d, uint32_t type, uint64_t sector, const struct dma_seg *seg,
		unsigned nseg, bool in_place, bool interrupt)
{
	volatile uint8_t *hdr = ring_at(d, RING_HEADER), *status = ring_at(d, RING_STATUS);
	volatile uint8_t *avail = ring_at(d, RING_AVAIL);
	unsigned n = 0;

	if (d->dead || d->busy || nseg > d->qsize - 2u || (in_place && nseg > d->direct_max))
		return -E_INVAL;
	for (unsigned b = 0; b < 4; b++)
		hdr[b] = (uint8_t)(type >> (8 * b));
	for (unsigned b = 4; b < 8; b++)
		hdr[b] = 0;
	for (unsigned b = 0; b < 8; b++)
		hdr[8 + b] = (uint8_t)(sector >> (8 * b));
	*status = 0xff;
	put_desc(d, n++, d->ring + RING_HEADER, 16, VIRTQ_DESC_F_NEXT);
	for (unsigned i = 0; i < nseg; i++)
		put_desc(d, n++, seg[i].pa, seg[i].len,
			 VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_OUT ? 0 : VIRTQ_DESC_F_WRITE));
	put_desc(d, n, d->ring + RING_STATUS, 1, VIRTQ_DESC_F_WRITE);
	avail[4 + 2 * (d->avail_idx % d->qsize)] = 0; /* the chain starts at descriptor 0 */
	avail[5 + 2 * (d->avail_idx % d->qsize)] = 0;
	d->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the chain before the index that offers it */
	avail[0] = interrupt ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
	avail[2] = (uint8_t)d->avail_idx;
	avail[3] = (uint8_t)(d->avail_idx >> 8);
	dsb(sy); /* the ring in memory before the device hears of it */
	d->busy = true;
	d->in_place = in_place;
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	return E_OK;
}

/* A request in the disk's own buffer (len bytes of it). */
static int post_buf(struct hostdisk *d, uint32_t type, uint64_t sector, uint32_t len,
		    bool interrupt)
{
	const struct dma_seg seg = {d->buf, len};

	if (len > HOSTDISK_BUF_SIZE)
		return -E_INVAL;
	return post(d, type, sector, &seg, len ? 1 : 0, false, interrupt);
}

/* Whether the request at the device is done (lock held); *ok: the device said S_OK. */
static bool finished(struct hostdisk *d, bool *ok)
{
	if (!d->busy || used_idx(d) != d->avail_idx)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the status after the index that returned it */
	*ok = *ring_at(d, RING_STATUS) == VIRTIO_BLK_S_OK;
	d->busy = false;
	return true;
}

/*
 * A disk whose request did not finish in time (lock held): no request again, and a reset,
 * after which the device touches none of the request's memory (§2.4: a reset is complete when
 * the status reads 0). A request in place whose device will not even reset could still write
 * into RAM the VM gives back, which kestrel would hand to another VM: kestrel stops the
 * machine rather than break that promise.
 */
static void give_up(struct hostdisk *d)
{
	uint64_t deadline = arch_counter() + hyp.cntfrq / 1000 * HOSTDISK_WAIT_MS;

	d->dead = true;
	kprintf("disk '%s': a request took more than %u ms: given up", d->serial, HOSTDISK_WAIT_MS);
	wr(d, VIRTIO_MMIO_STATUS, 0);
	while (rd(d, VIRTIO_MMIO_STATUS))
		if (arch_counter() > deadline) {
			if (d->in_place)
				panic("disk '%s' neither finishes a request in a VM's memory nor "
				      "resets: that memory cannot be given back safely",
				      d->serial);
			return;
		}
}

/* Waits for the request at the device, at most HOSTDISK_WAIT_MS (lock held): whether it
   finished; a disk that did not is given up. */
static bool wait_done(struct hostdisk *d, bool *ok)
{
	uint64_t deadline = arch_counter() + hyp.cntfrq / 1000 * HOSTDISK_WAIT_MS;

	while (!finished(d, ok))
		if (arch_counter() > deadline) {
			give_up(d);
			return false;
		}
	return true;
}

/* One request, waited for (boot, and disks without an interrupt). */
static int request(struct hostdisk *d, uint32_t type, uint64_t sector, uint32_t len)
{
	bool ok = false;

	if (post_buf(d, type, sector, len, false) != E_OK || !wait_done(d, &ok))
		return -E_RANGE;
	return ok ? E_OK : -E_RANGE;
}

/* A VM disk's piece: started, its end comes with the device's interrupt. */
static int hostdisk_io(void *ctx, uint32_t type, uint64_t sector, uint32_t len)
{
	struct hostdisk *d = ctx;
	int err;

	if (type == VIRTIO_BLK_T_FLUSH && !d->can_flush)
		return E_OK; /* nothing to flush: QEMU writes through */
	spin_lock(&d->lock);
	if (d->intid)
		err = post_buf(d, type, sector, len, true) == E_OK ? VBLK_IO_PENDING : -E_RANGE;
	else
		err = request(d, type, sector, len);
	spin_unlock(&d->lock);
	return err;
}

/* A VM disk's whole read or write in its own memory: only with the device's interrupt (a
   polled one would hold the CPU for the whole transfer). */
static int hostdisk_io_direct(void *ctx, uint32_t type, uint64_t sector, const struct dma_seg *seg,
			      unsigned nseg)
{
	struct hostdisk *d = ctx;
	int err;

	spin_lock(&d->lock);
	err = post(d, type, sector, seg, nseg, true, true) == E_OK ? VBLK_IO_PENDING : -E_RANGE;
	spin_unlock(&d->lock);
	return err;
}

/* Calls the disk's done function for a request that finished, outside the disk's lock (the
   function starts the next one); active covers the call, for hostdisk_quiesce. */
static void end_request(struct hostdisk *d, bool ok)
{
	void (*done)(void *, bool) = d->done;
	void *ctx = d->done_ctx;

	d->active = true;
	spin_unlock(&d->lock);
	if (done)
		done(ctx, ok);
	d->active = false;
}

bool hostdisk_irq(unsigned intid)
{
	bool mine = false;

	for (unsigned i = 0; i < ndisks; i++) {
		struct hostdisk *d = &disks[i];
		bool ok;
		if (!intid || d->intid != intid)
			continue;
		mine = true;
		spin_lock(&d->lock);
		/* acknowledged first: a request that ends after this raises the line again */
		wr(d, VIRTIO_MMIO_INTERRUPT_ACK, rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
		if (finished(d, &ok))
			end_request(d, ok);
		else
			spin_unlock(&d->lock);
	}
	return mine;
}

void hostdisk_quiesce(struct hostdisk *d)
{
	bool ok;

	spin_lock(&d->lock);
	/* Its interrupt may be masked on this very CPU: the ring is looked at here. */
	if (d->busy && !d->dead && wait_done(d, &ok)) {
		end_request(d, ok);
		spin_lock(&d->lock);
	}
	if (d->dead)
		d->done = NULL; /* its late end, if any, reaches no VM */
	spin_unlock(&d->lock);
	/* A done function on another CPU copies at most a piece under its device's lock: one
	   that does not return in the disk's own time limit is a kestrel bug. */
	uint64_t deadline = arch_counter() + hyp.cntfrq / 1000 * HOSTDISK_WAIT_MS;
	while (d->active)
		if (arch_counter() > deadline)
			panic("disk '%s': its done function ran for more than %u ms", d->serial,
			      HOSTDISK_WAIT_MS);
}

void hostdisk_on_done(struct hostdisk *d, void (*done)(void *ctx, bool ok), void *ctx)
{
	spin_lock(&d->lock);
	d->done = done;
	d->done_ctx = ctx;
	spin_unlock(&d->lock);
}

/* The spec's initialization (§3.1.1) with VERSION_1 and, when offered, F_RO and F_FLUSH. */
static bool start(struct hostdisk *d)
{
	uint64_t offered, wanted;
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, VIRTIO_MMIO_STATUS, st);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered |= (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	wanted = offered & (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_BLK_F_RO) |
			    BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_SEG_MAX));
	if (!(wanted & BIT(VIRTIO_F_VERSION_1)))
		return false;
	for (unsigned sel = 0; sel < 2; sel++) {
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(wanted >> (32 * sel)));
	}
	st |= VIRTIO_STATUS_FEATURES_OK;
	wr(d, VIRTIO_MMIO_STATUS, st);
	if (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	d->read_only = (wanted & BIT(VIRTIO_BLK_F_RO)) != 0;
	d->can_flush = (wanted & BIT(VIRTIO_BLK_F_FLUSH)) != 0;
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	uint32_t num_max = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (rd(d, VIRTIO_MMIO_QUEUE_READY) || num_max < QSIZE_MIN)
		return false;
	for (d->qsize = QSIZE_MAX; d->qsize > num_max;)
		d->qsize /= 2;
	d->direct_max = d->qsize - 2u;
	if (wanted & BIT(VIRTIO_BLK_F_SEG_MAX))
		d->direct_max = MIN(d->direct_max, rd(d, VIRTIO_MMIO_CONFIG + CFG_SEG_MAX));
	wr(d, VIRTIO_MMIO_QUEUE_NUM, d->qsize);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(d->ring + RING_DESC));
	wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((d->ring + RING_DESC) >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(d->ring + RING_AVAIL));
	wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((d->ring + RING_AVAIL) >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(d->ring + RING_USED));
	wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((d->ring + RING_USED) >> 32));
	ring_at(d, RING_AVAIL)[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	st |= VIRTIO_STATUS_DRIVER_OK;
	wr(d, VIRTIO_MMIO_STATUS, st);
	/* capacity, read until the configuration generation holds still (§4.2.2.2) */
	for (unsigned tries = 0; tries < 8; tries++) {
		uint32_t gen = rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
		d->sectors = rd(d, VIRTIO_MMIO_CONFIG) | (uint64_t)rd(d, VIRTIO_MMIO_CONFIG + 4)
							     << 32;
		if (gen == rd(d, VIRTIO_MMIO_CONFIG_GENERATION))
			break;
	}
	return !(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

/* The serial the tool gave the disk (GET_ID: 20 bytes, NUL-padded). */
static bool read_serial(struct hostdisk *d)
{
	const char *id = (const char *)(uintptr_t)d->buf;

	if (request(d, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_LEN) != E_OK)
		return false;
	memset(d->serial, 0, sizeof(d->serial));
	memcpy(d->serial, id, strnlen(id, SERIAL_MAX));
	return d->serial[0] != '\0';
}

static bool map_transport(paddr_t base, uint64_t size)
{
	static paddr_t mapped[HOSTDISK_MAX * 2];
	static unsigned nmapped;
	paddr_t page = ALIGN_DOWN(base, PAGE_SIZE);

	if (ALIGN_UP(base + size, PAGE_SIZE) - page != PAGE_SIZE)
		return false; /* QEMU's are 0x200 bytes, eight to a page */
	for (unsigned i = 0; i < nmapped; i++)
		if (mapped[i] == page)
			return true;
	if (nmapped == ARRAY_SIZE(mapped) || mmu_map_device(page, PAGE_SIZE) != E_OK)
		return false;
	mapped[nmapped++] = page;
	return true;
}

/* The transport's SPI, as an INTID: interrupts = <0 SPI flags> (GIC, SPI); 0 if none. */
static unsigned transport_intid(const void *fdt, int node)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);

	if (!p || len != 12 || fdt32_ld(&p[0]) != 0 || fdt32_ld(&p[1]) >= 988)
		return 0;
	return 32 + fdt32_ld(&p[1]);
}

static void probe_one(paddr_t base, unsigned intid, uint64_t mpidr)
{
	struct hostdisk *d = &disks[ndisks];

	memset(d, 0, sizeof(*d));
	d->regs = (volatile uint32_t *)(uintptr_t)base;
	if (rd(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
	    rd(d, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
		return;
	if (rd(d, VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_VERSION_2) {
		kprintf("machine disk at 0x%llx: a legacy virtio-mmio transport, not driven (QEMU: "
			"-global virtio-mmio.force-legacy=false)",
			(unsigned long long)base);
		return;
	}
	d->ring = mm_alloc_zeroed(RING_PAGES, OWNER_KESTREL);
	d->buf = mm_alloc_zeroed(BUF_PAGES, OWNER_KESTREL);
	if (!d->ring || !d->buf) {
		kprintf("machine disk at 0x%llx: no memory left for its ring",
			(unsigned long long)base);
		return; /* the pages stay kestrel's: a boot-time loss of at most a few pages */
	}
	if (!start(d) || !read_serial(d)) {
		wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
		kprintf("machine disk at 0x%llx: did not start or has no serial: not used",
			(unsigned long long)base);
		return;
	}
	for (unsigned i = 0; i < ndisks; i++)
		if (!strcmp(disks[i].serial, d->serial)) {
			kprintf(
			    "machine disk at 0x%llx: serial '%s' is another disk's too: not used",
			    (unsigned long long)base, d->serial);
			return;
		}
	kprintf("machine disk '%s': %llu KiB%s at 0x%llx, %s", d->serial,
		(unsigned long long)(d->sectors / 2), d->read_only ? ", read-only" : "",
		(unsigned long long)base, intid ? "interrupt-driven" : "polled (no interrupt)");
	d->intid = intid;
	if (intid)
		gicv3_route_spi(intid, mpidr);
	ndisks++;
}

void hostdisk_probe(const void *fdt, bool (*skip)(paddr_t base, uint64_t size), uint64_t mpidr)
{
	int node = -1;

	while ((node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) >= 0 &&
	       ndisks < HOSTDISK_MAX) {
		uint64_t base, size;
		if (hostdt_reg(fdt, node, 0, &base, &size) != E_OK || !size ||
		    skip(ALIGN_DOWN(base, PAGE_SIZE), PAGE_SIZE) || !map_transport(base, size))
			continue;
		probe_one(base, transport_intid(fdt, node), mpidr);
	}
}

struct hostdisk *hostdisk_find(const char *serial)
{
	for (unsigned i = 0; i < ndisks; i++)
		if (!strcmp(disks[i].serial, serial))
			return &disks[i];
	return NULL;
}

void hostdisk_backend(struct hostdisk *d, bool read_only, struct virtio_blk_backend *be)
{
	*be = (struct virtio_blk_backend){
	    .ctx = d,
	    .sectors = d->sectors,
	    .read_only = read_only || d->read_only,
	    .buf = (uint8_t *)(uintptr_t)d->buf,
	    .buf_size = HOSTDISK_BUF_SIZE,
	    .io = hostdisk_io,
	    .io_direct = d->intid ? hostdisk_io_direct : NULL,
	    .direct_max = d->direct_max,
	};
}
