/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueues (virtio 1.2 §2.7), read from memory the guest controls and may change at any
 * moment. The three areas are checked and mapped once, when the driver makes the queue ready
 * (hooks->map: all in the VM's own RAM, aligned as §2.7 asks), and then read in place: every
 * field is loaded once and used from kestrel's copy (a descriptor is two 64-bit loads, where a
 * checked copy cost about 300 instructions); every index read from the guest is checked or
 * masked before it is used; a chain ends after at most num descriptors. What is wrong is reported
 * as -E_RANGE, and the transport puts the device in DEVICE_NEEDS_RESET: nothing here trusts the
 * guest.
 *
 * VIRTIO_F_EVENT_IDX (§2.7.7, §2.7.10): the driver's used_event (after the avail ring) and the
 * device's avail_event (after the used ring) replace the flags. Both are hints between indices
 * that wrap at 2^16: whatever the guest writes into used_event can only cost it interrupts or
 * give it more, never make kestrel read or write anywhere else; the device-side state here is
 * kestrel's own (signalled_used, avail_event) and never read back from the guest.
 */
#include <kestrel/lib.h>
#include <kestrel/virtq.h>

#define AVAIL_IDX  2
#define AVAIL_RING 4
#define USED_IDX   2
#define USED_RING  4
#define DESC_SIZE  16
#define USED_ELEM  8

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the rings' little-endian fields are loaded and stored as they are");

/* The guest may rewrite its rings at any moment: each field is loaded once, and used from that
   copy. The areas' alignment (checked in virtq_map) makes every access a natural one. */
static uint16_t ring_ld16(const struct virtio_hooks *h, const uint8_t *p)
{
	uint16_t v = __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);

	if (h->after_ring_read)
		h->after_ring_read(h->ctx);
	return v;
}

static void ring_st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

static bool map_area(const struct virtio_hooks *h, ipa_t ipa, uint64_t size, uint8_t **p)
{
	*p = h->map(h->ctx, ipa, size);
	return *p != NULL;
}

bool virtq_map(struct virtq *q, const struct virtio_hooks *h)
{
	uint64_t n = q->num;

	q->desc_p = q->avail_p = q->used_p = NULL;
	if (!n || n > VIRTQ_NUM_MAX || (n & (n - 1)) || !IS_ALIGNED(ipa_addr(q->desc), 16) ||
	    !IS_ALIGNED(ipa_addr(q->avail), 2) || !IS_ALIGNED(ipa_addr(q->used), 4))
		return false;
	if (map_area(h, q->desc, DESC_SIZE * n, &q->desc_p) &&
	    map_area(h, q->avail, AVAIL_RING + 2 * n + 2, &q->avail_p) &&
	    map_area(h, q->used, USED_RING + USED_ELEM * n + 2, &q->used_p))
		return true;
	q->desc_p = q->avail_p = q->used_p = NULL;
	return false;
}

/* used_event and avail_event: the 16 bits after the avail ring and after the used ring. */
static uint8_t *used_event_at(const struct virtq *q)
{
	return q->avail_p + AVAIL_RING + 2u * q->num;
}

static uint8_t *avail_event_at(const struct virtq *q)
{
	return q->used_p + USED_RING + USED_ELEM * q->num;
}

/* §2.7.10's vring_need_event: whether event lies in (old, new], modulo 2^16. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/*
 * The ring looked empty at idx: with EVENT_IDX, asks for a notify of the driver's next chain
 * (avail_event = last_avail) unless it was asked already, then reads the index once more, as
 * the driver may have posted after its read of the old avail_event and not notified. Returns
 * the index to go by.
 */
static uint16_t ask_notify(struct virtq *q, const struct virtio_hooks *h, uint16_t idx)
{
	if (!q->event_idx || (q->avail_event_set && q->avail_event == q->last_avail))
		return idx;
	ring_st16(avail_event_at(q), q->last_avail);
	q->avail_event = q->last_avail;
	q->avail_event_set = true;
	/* avail_event is visible before the index is read again (the driver: the other way). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ring_ld16(h, q->avail_p + AVAIL_IDX);
}

int virtq_pop(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain)
{
	uint16_t idx, head;

	if (!q->ready || !q->num)
		return 0;
	idx = ring_ld16(h, q->avail_p + AVAIL_IDX);
	if (idx == q->last_avail)
		idx = ask_notify(q, h, idx);
	if (idx == q->last_avail)
		return 0;
	/* More entries than the ring has: the index is garbage. */
	if ((uint16_t)(idx - q->last_avail) > q->num)
		return -E_RANGE;
	/* The ring entries are read after the index that published them. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = ring_ld16(h, q->avail_p + AVAIL_RING + 2u * (q->last_avail & (q->num - 1)));
	if (head >= q->num)
		return -E_RANGE;
	q->last_avail++;
	chain->head = head;
	chain->next = head;
	chain->more = true;
	chain->seen = 0;
	chain->wrote = false;
	return 1;
}

bool virtq_has_avail(struct virtq *q, const struct virtio_hooks *h)
{
	uint16_t idx;

	if (!q->ready || !q->num)
		return false;
	/* A ring found empty asks for a notify, as virtq_pop does: a device whose bound stopped
	   it right at the ring's end would otherwise never hear of the next chain. */
	idx = ring_ld16(h, q->avail_p + AVAIL_IDX);
	if (idx == q->last_avail)
		idx = ask_notify(q, h, idx);
	return idx != q->last_avail; /* a broken index counts: the next virtq_pop reports it */
}

/*
 * Takes up to max more descriptors of the chain into d[]: how many, or -E_RANGE. The chain's
 * state lives in locals while it runs (a disk request's walk is hundreds of descriptors) and
 * goes back into *chain at the end.
 */
static int walk(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain,
		struct virtq_desc *d, unsigned max)
{
	const uint8_t *table = q->desc_p;
	unsigned num = q->num, seen = chain->seen, n = 0;
	uint16_t next = chain->next;
	bool more = chain->more, wrote = chain->wrote;
	int err = -E_RANGE;

	while (more && n < max) {
		const uint64_t *raw;
		uint64_t addr, rest;
		uint16_t flags;
		/* next was checked against num when it was read; seen bounds the walk (loops end)
		 */
		if (seen >= num || next >= num)
			goto out;
		/* address, then length, flags and next: two loads, each once */
		raw = (const uint64_t *)(const void *)(table + DESC_SIZE * next);
		addr = __atomic_load_n(&raw[0], __ATOMIC_RELAXED);
		if (h->after_ring_read) /* (the fuzzers: a descriptor changing between the loads) */
			h->after_ring_read(h->ctx);
		rest = __atomic_load_n(&raw[1], __ATOMIC_RELAXED);
		if (h->after_ring_read)
			h->after_ring_read(h->ctx);
		seen++;
		flags = (uint16_t)(rest >> 32);
		if (flags & VIRTQ_DESC_F_INDIRECT) /* not offered */
			goto out;
		if (!(flags & VIRTQ_DESC_F_WRITE) && wrote) /* readable after writable */
			goto out;
		wrote |= (flags & VIRTQ_DESC_F_WRITE) != 0;
		if (!h->in_ram(h->ctx, ipa_init(addr), (uint32_t)rest))
			goto out;
		next = (uint16_t)(rest >> 48);
		more = (flags & VIRTQ_DESC_F_NEXT) != 0;
		if (more && next >= num)
			goto out;
		d[n++] = (struct virtq_desc){addr, (uint32_t)rest, flags, next};
	}
	err = (int)n;
out:
	chain->seen = seen;
	chain->next = next;
	chain->more = more;
	chain->wrote = wrote;
	return err;
}

int virtq_next(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain,
	       struct virtq_desc *d)
{
	return walk(q, h, chain, d, 1);
}

int virtq_chain(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain,
		struct virtq_desc *d)
{
	return walk(q, h, chain, d, VIRTQ_NUM_MAX);
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint32_t *elem;

	if (!q->ready || !q->num)
		return -E_RANGE;
	/* 4-aligned, as the used ring is: the id and the length, a 32-bit store each */
	elem =
	    (uint32_t *)(void *)(q->used_p + USED_RING + USED_ELEM * (q->used_idx & (q->num - 1u)));
	__atomic_store_n(&elem[0], head, __ATOMIC_RELAXED);
	__atomic_store_n(&elem[1], len, __ATOMIC_RELAXED);
	/* The element is visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->used_idx++;
	/* 2^16 used since the last interrupt decision: signalled_used no longer tells (§2.7.10). */
	if (q->used_idx == q->signalled_used)
		q->signalled_valid = false;
	ring_st16(q->used_p + USED_IDX, q->used_idx);
	return E_OK;
}

bool virtq_wants_irq(struct virtq *q, const struct virtio_hooks *h)
{
	uint16_t old = q->signalled_used;
	bool valid = q->signalled_valid;

	if (!q->ready)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the used idx written before the flags read */
	if (!q->event_idx)
		return !(ring_ld16(h, q->avail_p) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	/* used_event is read once */
	return !valid || need_event(ring_ld16(h, used_event_at(q)), q->used_idx, old);
}
