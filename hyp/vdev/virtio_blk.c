/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk (virtio 1.2 §5.2) with one request queue. A request is a chain the guest controls:
 * its device-readable bytes are a 16-byte header (type, reserved, sector) and, for a write, the
 * data; its device-writable bytes are, for a read or GET_ID, the data and then one status byte.
 * The chain is taken as that stream of bytes however the guest cut it into descriptors (any
 * layout, §2.6.4), each descriptor copied once and checked against the VM's RAM by virtq.c.
 * The data moves between the guest's buffers and the backend's buffer, a piece at a time.
 *
 * A chain that cannot be a request (no header, no status byte) is a broken ring: NEEDS_RESET.
 * A request that is well formed but wrong (a sector past the end, a length not a multiple of
 * 512, a write to a read-only disk, more than VBLK_REQ_MAX bytes, an unknown type) fails with
 * IOERR or UNSUPP and the device goes on. A notify takes no new chain once VBLK_NOTIFY_BUDGET
 * bytes were moved or num descriptors walked; what is left waits for the driver's next notify
 * or interrupt acknowledgement (it gets a used-buffer interrupt for what was done).
 */
#include <kestrel/lib.h>
#include <kestrel/virtio.h>

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

/* Copies len bytes at offset off of the stream to or from buf; -E_RANGE if the guest's RAM
   refuses (it was checked when the descriptor was read, so only a bug gets here). */
static int stream_copy(struct virtio_blk *b, const struct stream *s, uint64_t off, uint8_t *buf,
		       uint64_t len)
{
	const struct virtio_hooks *h = b->vdev.hooks;

	for (unsigned i = 0; i < s->n && len; i++) {
		const struct virtq_desc *d = &s->d[i];
		uint64_t n;
		int err;
		if (((d->flags & VIRTQ_DESC_F_WRITE) != 0) != s->writable)
			continue;
		if (off >= d->len) {
			off -= d->len;
			continue;
		}
		n = MIN((uint64_t)d->len - off, len);
		err = s->writable ? h->write(h->ctx, ipa_init(d->addr + off), buf, n)
				  : h->read(h->ctx, ipa_init(d->addr + off), buf, n);
		if (err)
			return -E_RANGE;
		buf += n;
		len -= n;
		off = 0;
	}
	return len ? -E_RANGE : E_OK;
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

/* Moves a read or a write through the backend's buffer; returns a VIRTIO_BLK_S_* status, or
   -E_RANGE for guest memory that refused a copy. */
static int transfer(struct virtio_blk *b, uint32_t type, uint64_t sector, const struct stream *s,
		    uint64_t off, uint64_t len)
{
	for (uint64_t done = 0; done < len;) {
		uint32_t n = (uint32_t)MIN(len - done, (uint64_t)b->be.buf_size);
		uint64_t at = sector + done / VIRTIO_BLK_SECTOR;
		if (type == VIRTIO_BLK_T_OUT && stream_copy(b, s, off + done, b->be.buf, n))
			return -E_RANGE;
		if (b->be.io(b->be.ctx, type, at, n) != E_OK)
			return VIRTIO_BLK_S_IOERR;
		if (type == VIRTIO_BLK_T_IN && stream_copy(b, s, off + done, b->be.buf, n))
			return -E_RANGE;
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

/* Serves one request: the status it ends with, or -E_RANGE for a chain that is no request.
 *written: the bytes written into the chain (data and status). */
static int serve(struct virtio_blk *b, unsigned ndesc, uint64_t *moved, uint32_t *written)
{
	struct stream in = {b->chain, ndesc, false}, out = {b->chain, ndesc, true};
	uint64_t rlen = stream_len(&in), wlen = stream_len(&out), data;
	uint8_t hdr[HDR_SIZE], status;
	uint32_t type;
	uint64_t sector;
	int st;

	if (rlen < HDR_SIZE || wlen < 1 || stream_copy(b, &in, 0, hdr, HDR_SIZE))
		return -E_RANGE;
	type = (uint32_t)(hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24);
	sector = le64(hdr + 8);
	data = wlen - 1;
	*written = 0;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		st = range_ok(b, sector, data) ? transfer(b, type, sector, &out, 0, data)
					       : VIRTIO_BLK_S_IOERR;
		if (st == VIRTIO_BLK_S_OK) {
			*written = (uint32_t)data;
			*moved += data;
			b->reads++;
		}
		break;
	case VIRTIO_BLK_T_OUT:
		data = rlen - HDR_SIZE;
		st = !b->be.read_only && range_ok(b, sector, data)
			 ? transfer(b, type, sector, &in, HDR_SIZE, data)
			 : VIRTIO_BLK_S_IOERR;
		if (st == VIRTIO_BLK_S_OK) {
			*moved += data;
			b->writes++;
		}
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = b->be.read_only || b->be.io(b->be.ctx, type, 0, 0) == E_OK
			 ? VIRTIO_BLK_S_OK
			 : VIRTIO_BLK_S_IOERR;
		b->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint32_t n = (uint32_t)MIN(data, (uint64_t)VIRTIO_BLK_ID_LEN);
		st = stream_copy(b, &out, 0, (uint8_t *)b->id, n) ? -E_RANGE : VIRTIO_BLK_S_OK;
		*written = n;
		break;
	}
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (st < 0)
		return st;
	if (st != VIRTIO_BLK_S_OK)
		b->failed++;
	status = (uint8_t)st;
	if (stream_copy(b, &out, wlen - 1, &status, 1))
		return -E_RANGE;
	*written += 1;
	return st;
}

static void broken(struct virtio_blk *b)
{
	b->broken++;
	b->pending = false;
	virtio_dev_broken(&b->vdev);
}

static void process(struct virtio_blk *b)
{
	struct virtq *q = &b->vdev.vq[REQQ];
	const struct virtio_hooks *h = b->vdev.hooks;
	uint64_t moved = 0;
	unsigned walked = 0;
	bool used = false;

	b->pending = false;
	for (;;) {
		struct virtq_chain chain;
		unsigned n = 0;
		uint32_t written = 0;
		int got;
		if (walked >= q->num || moved >= VBLK_NOTIFY_BUDGET) {
			/* taken up at the next notify or acknowledgement */
			b->pending = virtq_has_avail(q, h);
			break;
		}
		got = virtq_pop(q, h, &chain);
		if (got < 0) {
			broken(b);
			return;
		}
		if (!got)
			break;
		/* virtq_next ends a chain after num descriptors: chain[] has room for all. */
		while ((got = virtq_next(q, h, &chain, &b->chain[n])) > 0)
			n++;
		if (got < 0 || serve(b, n, &moved, &written) < 0 ||
		    virtq_push(q, h, chain.head, written)) {
			broken(b);
			return;
		}
		walked += chain.seen;
		used = true;
	}
	if (used)
		virtio_dev_used(&b->vdev, REQQ);
}

static void blk_notify(struct virtio_dev *dev, unsigned q)
{
	if (q == REQQ)
		process(blk_of(dev));
}

static void blk_acked(struct virtio_dev *dev)
{
	struct virtio_blk *b = blk_of(dev);

	if (b->pending && dev->vq[REQQ].ready)
		process(b);
}

static void blk_reset(struct virtio_dev *dev)
{
	blk_of(dev)->pending = false;
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
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_RESET) | BIT(VIRTIO_BLK_F_SEG_MAX) |          \
	 BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_FLUSH))

static const struct virtio_dev_ops blk_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .features = BLK_FEATURES,
    .nqueues = 1,
    .config_size = CFG_SIZE,
    .notify = blk_notify,
    .config_read = blk_config,
    .reset = blk_reset,
    .acked = blk_acked,
};

static const struct virtio_dev_ops blk_ro_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .features = BLK_FEATURES | BIT(VIRTIO_BLK_F_RO),
    .nqueues = 1,
    .config_size = CFG_SIZE,
    .notify = blk_notify,
    .config_read = blk_config,
    .reset = blk_reset,
    .acked = blk_acked,
};

void virtio_blk_init(struct virtio_blk *b, const struct virtio_hooks *hooks, unsigned slot,
		     const struct virtio_blk_backend *be, const char *id)
{
	memset(b, 0, sizeof(*b));
	b->be = *be;
	/* NUL-padded, without a terminator when it is 20 bytes long (§5.2.6) */
	memcpy(b->id, id, strnlen(id, sizeof(b->id)));
	virtio_dev_init(&b->vdev, be->read_only ? &blk_ro_ops : &blk_ops, hooks, slot);
}
