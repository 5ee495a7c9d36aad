/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk (virtio 1.2 §5.2): a VM's disk, served from a backend's buffer (virtio_blk.c). */
#ifndef KESTREL_VIRTIO_BLK_H
#define KESTREL_VIRTIO_BLK_H

#include <kestrel/virtio_mmio.h>

/*
 * virtio-blk (§5.2): one request queue. The data goes to the backend's disk (kestrel: a machine
 * virtio disk, hostdisk.c) in place, as the guest's buffers, or through the backend's buffer;
 * the guest's buffers are reached only through the hooks (their checked copies, and dma for
 * the physical ranges of a request in place).
 */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO	      5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

#define VIRTIO_BLK_T_IN	    0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR 512u
#define VIRTIO_BLK_ID_LEN 20u /* GET_ID's answer, NUL-padded */
/* The request queue's entries: 512, so that Linux's 1 MiB request, a descriptor per 4 KiB page
   of a scattered buffer, goes as one request and not two (with 256, seg_max 254 splits it). */
#define VBLK_QUEUE_MAX	   VIRTQ_NUM_MAX
#define VBLK_SEG_MAX	   (VBLK_QUEUE_MAX - 2) /* a header and a status around the data */
#define VBLK_REQ_MAX	   (4u << 20) /* data bytes of one request; more fails with IOERR */
#define VBLK_NOTIFY_BUDGET (8u << 20) /* data bytes after which a notify takes no new chain */

/* What a virtio-blk device reads and writes: a disk of `sectors` sectors of 512 bytes, moved
   through `buf` (buf_size bytes, a multiple of 512) by io(). type is VIRTIO_BLK_T_IN, _OUT or
   _FLUSH. io() returns E_OK when it is done, VBLK_IO_PENDING when it is under way (the backend
   then calls virtio_blk_done, on any CPU, without the device's lock), or an error (the request
   fails with IOERR). One piece at a time: io() is not called again before the done. */
#define VBLK_IO_PENDING 1
/* The most ranges one request in place has (a descriptor each, as Linux's seg_max). */
#define VBLK_DIRECT_SEGS VBLK_SEG_MAX
struct virtio_blk_backend {
	void *ctx;
	uint64_t sectors;
	bool read_only;
	uint8_t *buf;
	uint32_t buf_size;
	MUST_CHECK int (*io)(void *ctx, uint32_t type, uint64_t sector, uint32_t len);
	/* Optional (with the hooks' dma): a whole read or write moved by the backend's disk
	   straight to or from the guest's buffers, at most direct_max ranges, returning as io()
	   does. A request with more ranges goes through buf. */
	MUST_CHECK int (*io_direct)(void *ctx, uint32_t type, uint64_t sector,
				    const struct dma_seg *seg, unsigned nseg);
	unsigned direct_max;
};

/* The request being served: one at a time, its pieces one after the other. */
struct virtio_blk_req {
	bool active;	     /* begun, not finished */
	bool busy;	     /* a piece is at the backend (even after a reset: until its done) */
	uint32_t generation; /* the device's when it began: a reset since drops it */
	uint16_t head;
	unsigned ndesc;
	uint32_t type;
	uint64_t sector;
	uint64_t len, done; /* data bytes, and those moved */
	uint64_t wlen;	    /* device-writable bytes of the chain, the status byte last */
	uint32_t piece;	    /* bytes at the backend now, or just back from it */
	bool direct;	    /* the piece is the whole request, in the guest's buffers */
	uint32_t written;   /* data bytes written into the chain */
};

struct virtio_blk {
	struct virtio_dev vdev;
	struct virtio_blk_backend be;
	char id[VIRTIO_BLK_ID_LEN];
	bool used;	/* chains were used since the last interrupt */
	uint64_t moved; /* data bytes moved since the notify (or completion) began */
	struct virtio_blk_req req;
	/* The chain being served, each descriptor copied once from the guest's table. */
	struct virtq_desc chain[VBLK_QUEUE_MAX];
	/* Its data in place, for io_direct. */
	struct dma_seg seg[VBLK_DIRECT_SEGS];
	uint64_t reads, writes, flushes, failed, broken; /* statistics */
};

void virtio_blk_init(struct virtio_blk *b, const struct virtio_hooks *hooks, unsigned slot,
		     const struct virtio_blk_backend *be, const char *id);
/* The backend finished the piece it said was under way (ok: the disk did it). */
void virtio_blk_done(struct virtio_blk *b, bool ok);
/* Whether no piece is at the backend. */
bool virtio_blk_idle(struct virtio_blk *b);

#endif
