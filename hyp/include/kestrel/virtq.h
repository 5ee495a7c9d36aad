/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueues (virtio 1.2 §2.7) as a device reads and fills them (virtq.c), and the one way
 * a device model reaches guest memory: struct virtio_hooks, checked copies to and from the VM's
 * own RAM, the rings mapped once checked, and an interrupt to raise. Pure logic: the same code runs
 * in kestrel and, with fake hooks, in the host fuzzers (tests/fuzz/fuzz_virtq.c).
 */
#ifndef KESTREL_VIRTQ_H
#define KESTREL_VIRTQ_H

#include <kestrel/addr.h>

/* Split virtqueues (§2.7). */
#define VIRTQ_NUM_DEFAULT	   256 /* QueueNumMax of a device's queues unless it says */
#define VIRTQ_NUM_MAX		   512 /* the largest QueueNumMax of any (a disk's) */
#define VIRTQ_QUEUES_MAX	   2
#define VIRTQ_DESC_F_NEXT	   1u
#define VIRTQ_DESC_F_WRITE	   2u
#define VIRTQ_DESC_F_INDIRECT	   4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* A range of memory a machine device moves data into or out of: a request's data in place. */
struct dma_seg {
	uint64_t pa;
	uint32_t len;
};

/* The one way a device model reaches guest memory: copies checked against the VM's own RAM
   (bounds, overflow), returning E_OK or -E_RANGE; and the interrupt of its slot. */
struct virtio_hooks {
	void *ctx;
	MUST_CHECK int (*read)(void *ctx, ipa_t src, void *dst, uint64_t size);
	MUST_CHECK int (*write)(void *ctx, ipa_t dst, const void *src, uint64_t size);
	bool (*in_ram)(void *ctx, ipa_t ipa, uint64_t size); /* all of it in the VM's RAM */
	void (*irq)(void *ctx, unsigned slot);		     /* an edge on the slot's SPI */
	/* For a device model that hands guest buffers to a machine device (NULL: none may): the
	   n ranges come with guest IPAs in seg[].pa and leave with their physical addresses, each
	   all in the VM's own RAM, handed over first, one contiguous range; -E_RANGE otherwise
	   (seg[] then means nothing). One call for a request's ranges, a page each in Linux's. */
	MUST_CHECK int (*dma)(void *ctx, struct dma_seg *seg, unsigned n);
	/* A queue's rings when the driver makes it ready: kestrel's pointer to [ipa, ipa + size),
	   all in the VM's own RAM and handed over, or NULL. It stays valid while the queue is
	   ready: a VM's RAM is taken back only after its devices are reset (vm_virtio_stop). */
	void *(*map)(void *ctx, ipa_t ipa, uint64_t size);
	/* NULL in kestrel. The fuzzers rewrite a byte of guest memory here, after each load from
	   a ring: the guest changing its rings between kestrel's reads. */
	void (*after_ring_read)(void *ctx);
};

struct virtq {
	uint16_t num; /* QueueNum: a power of two up to the device's QueueNumMax */
	bool ready;
	ipa_t desc, avail, used;
	uint16_t last_avail; /* the next avail ring entry kestrel takes */
	uint16_t used_idx;   /* the used ring's idx as kestrel last wrote it */
	/* VIRTIO_F_EVENT_IDX (§2.7.10), as negotiated when the queue was made ready */
	bool event_idx;
	bool signalled_valid;	 /* signalled_used means something (not since ready or a wrap) */
	uint16_t signalled_used; /* used_idx at the last interrupt decision */
	bool avail_event_set;	 /* avail_event holds last_avail as written last */
	uint16_t avail_event;	 /* what kestrel last wrote as the used ring's avail_event */
	/* The three areas as hooks->map gave them when the queue was made ready: one load per
	   field instead of a checked copy (a Linux disk request has up to VBLK_SEG_MAX + 2). */
	uint8_t *desc_p, *avail_p, *used_p;
};

/* One descriptor, copied out of guest memory: used from this copy only. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* A descriptor as a driver lays it in memory (address, length, flags and next, little-endian):
   kestrel's own driver of the machine's disks writes its ring with it, and the tests their
   guests' rings. */
static inline void virtq_desc_bytes(volatile uint8_t d[16], uint64_t addr, uint32_t len,
				    uint16_t flags, uint16_t next)
{
	uint64_t rest = len | (uint64_t)flags << 32 | (uint64_t)next << 48;

	/* A ring's descriptors are 16-aligned: two stores (on little-endian CPUs), not 16. */
	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !((uintptr_t)d & 7)) {
		volatile uint64_t *w = (volatile uint64_t *)(volatile void *)d;
		w[0] = addr;
		w[1] = rest;
		return;
	}
	for (unsigned i = 0; i < 8; i++) {
		d[i] = (uint8_t)(addr >> (8 * i));
		d[8 + i] = (uint8_t)(rest >> (8 * i));
	}
}

/* Walks one chain: each descriptor is read once, the walk ends after q->num of them. */
struct virtq_chain {
	uint16_t head;
	uint16_t next;
	bool more;
	bool wrote; /* a device-writable descriptor came: no readable one may follow */
	unsigned seen;
};

/*
 * Takes the next available chain: 1 and *chain set up, 0 if none, -E_RANGE if the ring is
 * broken (an avail idx more than num ahead, a head out of range, memory outside RAM). With
 * EVENT_IDX, finding the ring empty asks the driver for a notify of its next chain
 * (avail_event = last_avail) and looks once more, so a chain posted meanwhile is not missed.
 */
MUST_CHECK int virtq_pop(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain);
/* Whether the driver has offered chains not taken yet (a broken index counts: the next
   virtq_pop reports it); if not, with EVENT_IDX, asks for a notify of the next, as
   virtq_pop does. */
bool virtq_has_avail(struct virtq *q, const struct virtio_hooks *h);
/* The chain's next descriptor: 1 with *d, 0 at its end, -E_RANGE if it is broken (a next out
   of range, a loop or a chain longer than the ring, an indirect descriptor, a buffer that is
   not all in the VM's RAM, or a device-readable one after a device-writable one). */
MUST_CHECK int virtq_next(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain,
			  struct virtq_desc *d);
/* The rest of the chain into d[], which has room for q->num descriptors (a chain ends after
   that many): how many, or -E_RANGE as virtq_next. One call for a disk request's hundreds. */
MUST_CHECK int virtq_chain(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain,
			   struct virtq_desc *d);
/* Puts the chain on the used ring with len bytes written into it. */
MUST_CHECK int virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for the used buffers pushed since the last call: with
   EVENT_IDX, whether its used_event is among them (§2.7.10); else VIRTQ_AVAIL_F_NO_INTERRUPT
   clear. */
bool virtq_wants_irq(struct virtq *q, const struct virtio_hooks *h);
/* Maps the ring's areas (hooks->map) when they lie in the VM's RAM, aligned as §2.7 asks:
   false, and nothing mapped, otherwise. */
MUST_CHECK bool virtq_map(struct virtq *q, const struct virtio_hooks *h);

#endif
