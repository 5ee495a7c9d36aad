/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk (virtio 1.2 §5.2) with one request queue. A request is a chain the guest controls:
 * its device-readable bytes are a 16-byte header (type, reserved, sector) and, for a write, the
 * data; its device-writable bytes are, for a read or GET_ID, the data and then one status byte.
 * The chain is taken as that stream of bytes however the guest cut it into descriptors (any
 * layout, §2.6.4), each descriptor loaded once and checked against the VM's RAM by virtq.c.
 * A backend that can (io_direct) gets a whole read or write as the guest's own buffers, one
 * physical range of the VM's RAM a descriptor, and its disk moves the data in place; else the
 * data moves between the guest's buffers and the backend's buffer, a piece at a time. The
 * backend may finish a piece later (virtio_blk_done, from the machine disk's interrupt), and one
 * request is at the backend at a time: the ring waits meanwhile.
 *
 * A chain that cannot be a request (no header, no status byte) is a broken ring: NEEDS_RESET.
 * A request that is well formed but wrong (a sector past the end, a length not a multiple of
 * 512, a write to a read-only disk, more than VBLK_REQ_MAX bytes, an unknown type) fails with
 * IOERR or UNSUPP and the device goes on. A notify takes no new chain once VBLK_NOTIFY_BUDGET
 * bytes were moved or num descriptors walked; what is left waits for the driver's
 * acknowledgement of the used-buffer interrupt it gets for what was done. A piece
 * that comes back after a reset of the device or its queue (another generation) is dropped.
 */
#include <kestrel/lib.h>
#include <kestrel/virtio_blk.h>

#define REQQ	 0
#define HDR_SIZE 16

/* Configuration space offsets (§5.2.4). */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX  12
#define CFG_BLK_SIZE 20
#define CFG_SIZE     24 /* up to blk_size: the fields after it belong to features not offered */

static struct virtio_blk *blk_of(struct virtio_dev *dev)
{
	return (struct virtio_blk *)(void *)((char *)dev - offsetof(struct virtio_blk, vdev));
}

/* The chain's readable or writable descriptors, as one stream. */
struct stream {
	const struct virtq_desc *d;
	unsigned n;
	bool writable;
};

static uint64_t stream_len(const struct stream *s)
{
	uint64_t len = 0;

	for (unsigned i = 0; i < s->n; i++)
		if (((s->d[i].flags & VIRTQ_DESC_F_WRITE) != 0) == s->writable)
			len += s->d[i].len;
	return len;
}

/* A walk over the stream's bytes [off, off + len): i is the next descriptor to look at. */
struct span {
	unsigned i;
	uint64_t off, len;
};

/* The walk's next part, all in one descriptor: its guest address and length; false when the
   walk is done or the stream has no more bytes (then sp->len says how many were missing). */
static bool span_next(const struct stream *s, struct span *sp, uint64_t *addr, uint64_t *n)
{
	for (; sp->i < s->n && sp->len; sp->i++) {
		const struct virtq_desc *d = &s->d[sp->i];
		if (((d->flags & VIRTQ_DESC_F_WRITE) != 0) != s->writable)
			continue;
		if (sp->off >= d->len) {
			sp->off -= d->len;
			continue;
		}
		*n = MIN((uint64_t)d->len - sp->off, sp->len);
		*addr = d->addr + sp->off;
		sp->len -= *n;
		sp->off = 0;
		sp->i++;
		return true;
	}
	return false;
}

/* Copies len bytes at offset off of the stream to or from buf; -E_RANGE if the guest's RAM
   refuses (it was checked when the descriptor was read, so only a bug gets here). */
static int stream_copy(struct virtio_blk *b, const struct stream *s, uint64_t off, uint8_t *buf,
		       uint64_t len)
{
	const struct virtio_hooks *h = b->vdev.hooks;
	struct span sp = {0, off, len};
	uint64_t addr, n;

	while (span_next(s, &sp, &addr, &n)) {
		int err = s->writable ? h->write(h->ctx, ipa_init(addr), buf, n)
				      : h->read(h->ctx, ipa_init(addr), buf, n);
		if (err)
			return -E_RANGE;
		buf += n;
	}
	return sp.len ? -E_RANGE : E_OK;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Whether len bytes from sector lie on the disk and are whole sectors (no overflow). */
static bool range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t len)
{
	uint64_t n = len / VIRTIO_BLK_SECTOR;

	return len % VIRTIO_BLK_SECTOR == 0 && len <= VBLK_REQ_MAX && sector <= b->be.sectors &&
	       n <= b->be.sectors - sector;
}

/* The request's status byte, the chain on the used ring: false if the guest's memory refused
   (the ring is broken). */
static bool finish(struct virtio_blk *b, int st)
{
	struct virtio_blk_req *r = &b->req;
	struct stream out = {b->chain, r->ndesc, true};
	uint8_t status = (uint8_t)st;

	if (st != VIRTIO_BLK_S_OK)
		b->failed++;
	r->active = false;
	if (stream_copy(b, &out, r->wlen - 1, &status, 1) ||
	    virtq_push(&b->vdev.vq[REQQ], r->head, r->written + 1))
		return false;
	b->used = true;
	return true;
}

/*
 * The data bytes [off, off + len) of the stream as ranges of the VM's physical RAM, in
 * b->seg, for the backend's io_direct: how many, 0 when the request cannot go in place (no
 * such backend, more ranges than it takes), -E_RANGE when the guest's RAM refuses (checked when
 * the descriptors were read: only a bug gets here).
 */
static int direct_segs(struct virtio_blk *b, const struct stream *s, uint64_t off, uint64_t len)
{
	const struct virtio_hooks *h = b->vdev.hooks;
	unsigned nseg = 0, max = MIN(b->be.direct_max, (unsigned)VBLK_DIRECT_SEGS);
	struct span sp = {0, off, len};
	uint64_t addr, n;

	if (!b->be.io_direct || !h->dma || !len)
		return 0;
	while (span_next(s, &sp, &addr, &n)) {
		if (nseg == max)
			return 0;
		b->seg[nseg].pa = addr; /* an IPA until h->dma */
		b->seg[nseg++].len = (uint32_t)n;
	}
	if (sp.len || h->dma(h->ctx, b->seg, nseg))
		return -E_RANGE;
	return (int)nseg;
}

/*
 * Moves the active read or write on, a buffer at a time: the piece just done (a read's goes
 * to the guest), then the next one (a write's comes from the guest) to the backend. Returns 1
 * when the backend has a piece under way (virtio_blk_done follows), 0 when the request is
 * finished, -E_RANGE when the guest's memory refused a copy.
 */
static int advance(struct virtio_blk *b)
{
	struct virtio_blk_req *r = &b->req;
	struct stream s = {b->chain, r->ndesc, r->type == VIRTIO_BLK_T_IN};
	uint64_t off = r->type == VIRTIO_BLK_T_OUT ? HDR_SIZE : 0;

	for (;;) {
		int err, nseg;
		if (r->piece) {
			if (r->type == VIRTIO_BLK_T_IN && !r->direct &&
			    stream_copy(b, &s, off + r->done, b->be.buf, r->piece))
				return -E_RANGE;
			r->done += r->piece;
			b->moved += r->piece;
			r->piece = 0;
		}
		if (r->done == r->len && r->type != VIRTIO_BLK_T_FLUSH) {
			r->written = r->type == VIRTIO_BLK_T_IN ? (uint32_t)r->len : 0;
			return finish(b, VIRTIO_BLK_S_OK) ? 0 : -E_RANGE;
		}
		/* The whole request in place when it can go so: no copy through the buffer. */
		nseg = r->done ? 0 : direct_segs(b, &s, off, r->len);
		if (nseg < 0)
			return -E_RANGE;
		r->direct = nseg > 0;
		if (r->direct) {
			r->piece = (uint32_t)r->len;
			err =
			    b->be.io_direct(b->be.ctx, r->type, r->sector, b->seg, (unsigned)nseg);
		} else {
			r->piece = (uint32_t)MIN(r->len - r->done, (uint64_t)b->be.buf_size);
			if (r->type == VIRTIO_BLK_T_OUT &&
			    stream_copy(b, &s, off + r->done, b->be.buf, r->piece))
				return -E_RANGE;
			err = b->be.io(b->be.ctx, r->type, r->sector + r->done / VIRTIO_BLK_SECTOR,
				       r->piece);
		}
		if (err == VBLK_IO_PENDING) {
			r->busy = true;
			return 1;
		}
		if (err != E_OK || r->type == VIRTIO_BLK_T_FLUSH) {
			r->piece = 0;
			return finish(b, err == E_OK ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR)
				   ? 0
				   : -E_RANGE;
		}
	}
}

/* Starts one request from the chain in b->chain: 1 if it is under way at the backend, 0 if
   it is finished already, -E_RANGE for a chain that is no request. */
static int begin(struct virtio_blk *b, uint16_t head, unsigned ndesc)
{
	struct virtio_blk_req *r = &b->req;
	struct stream in = {b->chain, ndesc, false}, out = {b->chain, ndesc, true};
	uint64_t rlen = stream_len(&in), wlen = stream_len(&out);
	uint8_t hdr[HDR_SIZE];
	bool ok;

	if (rlen < HDR_SIZE || wlen < 1 || stream_copy(b, &in, 0, hdr, HDR_SIZE))
		return -E_RANGE;
	*r = (struct virtio_blk_req){.active = true, .head = head, .ndesc = ndesc, .wlen = wlen};
	r->type = (uint32_t)(hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24);
	r->sector = le64(hdr + 8);
	r->generation = b->vdev.generation;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		r->len = wlen - 1;
		ok = range_ok(b, r->sector, r->len);
		b->reads += ok;
		break;
	case VIRTIO_BLK_T_OUT:
		r->len = rlen - HDR_SIZE;
		ok = !b->be.read_only && range_ok(b, r->sector, r->len);
		b->writes += ok;
		break;
	case VIRTIO_BLK_T_FLUSH:
		b->flushes++;
		if (b->be.read_only) /* nothing was written */
			return finish(b, VIRTIO_BLK_S_OK) ? 0 : -E_RANGE;
		r->sector = 0;
		ok = true;
		break;
	case VIRTIO_BLK_T_GET_ID:
		r->written = (uint32_t)MIN(wlen - 1, (uint64_t)VIRTIO_BLK_ID_LEN);
		if (stream_copy(b, &out, 0, (uint8_t *)b->id, r->written))
			return -E_RANGE;
		return finish(b, VIRTIO_BLK_S_OK) ? 0 : -E_RANGE;
	default:
		return finish(b, VIRTIO_BLK_S_UNSUPP) ? 0 : -E_RANGE;
	}
	if (!ok)
		return finish(b, VIRTIO_BLK_S_IOERR) ? 0 : -E_RANGE;
	return advance(b);
}

static void broken(struct virtio_blk *b)
{
	b->broken++;
	b->req.active = false;
	virtio_mmio_dev_broken(&b->vdev);
}

/* Takes chains off the ring while no request is at the backend, within the notify's bounds;
   the used-buffer interrupt for what was finished. */
static void process(struct virtio_blk *b)
{
	struct virtq *q = &b->vdev.vq[REQQ];
	const struct virtio_hooks *h = b->vdev.hooks;
	unsigned walked = 0;
	bool more = false;

	b->moved = 0;
	while (!b->req.busy && virtio_mmio_dev_live(&b->vdev) && q->ready) {
		struct virtq_chain chain;
		int got, n;
		if (walked >= q->num || b->moved >= VBLK_NOTIFY_BUDGET) {
			more = virtq_has_avail(q, h); /* taken up at the acknowledgement */
			break;
		}
		got = virtq_pop(q, h, &chain);
		if (got < 0) {
			broken(b);
			break;
		}
		if (!got)
			break;
		/* a chain ends after num descriptors: chain[] has room for all */
		n = virtq_chain(q, h, &chain, b->chain);
		walked += chain.seen;
		if (n < 0 || begin(b, chain.head, (unsigned)n) < 0) {
			broken(b);
			break;
		}
	}
	if (more) {
		b->used = false;
		virtio_mmio_dev_more(&b->vdev, REQQ);
	} else if (b->used) {
		b->used = false;
		virtio_mmio_dev_used(&b->vdev, REQQ);
	}
}

void virtio_blk_done(struct virtio_blk *b, bool ok)
{
	struct virtio_blk_req *r = &b->req;

	spin_lock(&b->vdev.lock);
	r->busy = false;
	/* The request's ring was reset meanwhile: nothing of it goes to the guest any more. */
	if (!r->active || r->generation != b->vdev.generation) {
		r->active = false;
		r->piece = 0;
	} else if (!ok || r->type == VIRTIO_BLK_T_FLUSH) {
		r->piece = 0;
		if (!finish(b, ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR))
			broken(b);
	} else if (advance(b) < 0) {
		broken(b);
	}
	if (!r->busy)
		process(b);
	spin_unlock(&b->vdev.lock);
}

bool virtio_blk_idle(struct virtio_blk *b)
{
	bool idle;

	spin_lock(&b->vdev.lock);
	idle = !b->req.busy;
	spin_unlock(&b->vdev.lock);
	return idle;
}

static void blk_notify(struct virtio_dev *dev, unsigned q)
{
	if (q == REQQ && !blk_of(dev)->req.busy)
		process(blk_of(dev));
}

static void blk_reset(struct virtio_dev *dev)
{
	struct virtio_blk *b = blk_of(dev);

	/* A piece still at the backend stays busy: its virtio_blk_done only ends it. */
	b->req.active = false;
}

static uint8_t blk_config(struct virtio_dev *dev, unsigned off)
{
	struct virtio_blk *b = blk_of(dev);

	if (off < CFG_CAPACITY + 8)
		return (uint8_t)(b->be.sectors >> (8 * (off - CFG_CAPACITY)));
	if (off >= CFG_SEG_MAX && off < CFG_SEG_MAX + 4)
		return (uint8_t)(VBLK_SEG_MAX >> (8 * (off - CFG_SEG_MAX)));
	if (off >= CFG_BLK_SIZE && off < CFG_BLK_SIZE + 4)
		return (uint8_t)(VIRTIO_BLK_SECTOR >> (8 * (off - CFG_BLK_SIZE)));
	return 0; /* size_max and geometry: their features are not offered */
}

#define BLK_FEATURES                                                                               \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET) | BIT(VIRTIO_F_EVENT_IDX) |            \
	 BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_FLUSH))

static const struct virtio_dev_ops blk_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .features = BLK_FEATURES,
    .nqueues = 1,
    .queue_max = VBLK_QUEUE_MAX,
    .config_size = CFG_SIZE,
    .notify = blk_notify,
    .config_read = blk_config,
    .reset = blk_reset,
};

static const struct virtio_dev_ops blk_ro_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .features = BLK_FEATURES | BIT(VIRTIO_BLK_F_RO),
    .nqueues = 1,
    .queue_max = VBLK_QUEUE_MAX,
    .config_size = CFG_SIZE,
    .notify = blk_notify,
    .config_read = blk_config,
    .reset = blk_reset,
};

void virtio_blk_init(struct virtio_blk *b, const struct virtio_hooks *hooks, unsigned slot,
		     const struct virtio_blk_backend *be, const char *id)
{
	memset(b, 0, sizeof(*b));
	b->be = *be;
	/* NUL-padded, without a terminator when it is 20 bytes long (§5.2.6) */
	memcpy(b->id, id, strnlen(id, sizeof(b->id)));
	virtio_mmio_dev_init(&b->vdev, be->read_only ? &blk_ro_ops : &blk_ops, hooks, slot);
}
