/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueues (virtio 1.2 §2.7), read from memory the guest controls and may change at any
 * moment. Every access goes through the hooks' checked copies; every index read from the guest
 * is checked or masked before it is used; each descriptor is copied once and used from the
 * copy; a chain ends after at most num descriptors. What is wrong is reported as -E_RANGE, and
 * the transport puts the device in DEVICE_NEEDS_RESET: nothing here trusts the guest.
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

static int read_u16(const struct virtio_hooks *h, ipa_t at, uint16_t *v)
{
	uint8_t b[2];
	int err = h->read(h->ctx, at, b, sizeof(b));

	*v = (uint16_t)(b[0] | b[1] << 8);
	return err;
}

static int write_u16(const struct virtio_hooks *h, ipa_t at, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	return h->write(h->ctx, at, b, sizeof(b));
}

static uint64_t le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

bool virtq_layout_ok(const struct virtq *q, const struct virtio_hooks *h)
{
	uint64_t n = q->num;

	return n && n <= VIRTQ_NUM_MAX && !(n & (n - 1)) && IS_ALIGNED(ipa_addr(q->desc), 16) &&
	       IS_ALIGNED(ipa_addr(q->avail), 2) && IS_ALIGNED(ipa_addr(q->used), 4) &&
	       h->in_ram(h->ctx, q->desc, DESC_SIZE * n) &&
	       h->in_ram(h->ctx, q->avail, AVAIL_RING + 2 * n + 2) &&
	       h->in_ram(h->ctx, q->used, USED_RING + USED_ELEM * n + 2);
}

/* used_event and avail_event: the 16 bits after the avail ring and after the used ring. */
static ipa_t used_event_at(const struct virtq *q)
{
	return ipa_add(q->avail, AVAIL_RING + 2ull * q->num);
}

static ipa_t avail_event_at(const struct virtq *q)
{
	return ipa_add(q->used, USED_RING + (uint64_t)USED_ELEM * q->num);
}

/* §2.7.10's vring_need_event: whether event lies in (old, new], modulo 2^16. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/*
 * The ring looked empty at idx: with EVENT_IDX, asks for a notify of the driver's next chain
 * (avail_event = last_avail) unless it was asked already, then reads the index once more, as
 * the driver may have posted after its read of the old avail_event and not notified. -E_RANGE
 * if the guest's memory refused.
 */
static int ask_notify(struct virtq *q, const struct virtio_hooks *h, uint16_t *idx)
{
	if (!q->event_idx || (q->avail_event_set && q->avail_event == q->last_avail))
		return E_OK;
	if (write_u16(h, avail_event_at(q), q->last_avail))
		return -E_RANGE;
	q->avail_event = q->last_avail;
	q->avail_event_set = true;
	/* avail_event is visible before the index is read again (the driver: the other way). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return read_u16(h, ipa_add(q->avail, AVAIL_IDX), idx) ? -E_RANGE : E_OK;
}

int virtq_pop(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain)
{
	uint16_t idx, head;
	int err;

	if (!q->ready || !q->num)
		return 0;
	err = read_u16(h, ipa_add(q->avail, AVAIL_IDX), &idx);
	if (!err && idx == q->last_avail)
		err = ask_notify(q, h, &idx);
	if (err)
		return -E_RANGE;
	if (idx == q->last_avail)
		return 0;
	/* More entries than the ring has: the index is garbage. */
	if ((uint16_t)(idx - q->last_avail) > q->num)
		return -E_RANGE;
	/* The ring entries are read after the index that published them. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	err = read_u16(h, ipa_add(q->avail, AVAIL_RING + 2ull * (q->last_avail & (q->num - 1))),
		       &head);
	if (err || head >= q->num)
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
	if (read_u16(h, ipa_add(q->avail, AVAIL_IDX), &idx) ||
	    (idx == q->last_avail && ask_notify(q, h, &idx)))
		return true; /* broken: the next virtq_pop reports it */
	return idx != q->last_avail;
}

int virtq_next(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain,
	       struct virtq_desc *d)
{
	uint8_t raw[DESC_SIZE];

	if (!chain->more)
		return 0;
	/* next was checked against num when it was read; seen bounds the walk (loops end). */
	if (chain->seen >= q->num || chain->next >= q->num)
		return -E_RANGE;
	if (h->read(h->ctx, ipa_add(q->desc, (uint64_t)DESC_SIZE * chain->next), raw, sizeof(raw)))
		return -E_RANGE;
	chain->seen++;
	d->addr = le(raw, 8);
	d->len = (uint32_t)le(raw + 8, 4);
	d->flags = (uint16_t)le(raw + 12, 2);
	d->next = (uint16_t)le(raw + 14, 2);
	if (d->flags & VIRTQ_DESC_F_INDIRECT) /* not offered */
		return -E_RANGE;
	if (!(d->flags & VIRTQ_DESC_F_WRITE) && chain->wrote) /* readable after writable */
		return -E_RANGE;
	chain->wrote |= (d->flags & VIRTQ_DESC_F_WRITE) != 0;
	if (!h->in_ram(h->ctx, ipa_init(d->addr), d->len))
		return -E_RANGE;
	chain->more = (d->flags & VIRTQ_DESC_F_NEXT) != 0;
	chain->next = d->next;
	if (chain->more && d->next >= q->num)
		return -E_RANGE;
	return 1;
}

int virtq_push(struct virtq *q, const struct virtio_hooks *h, uint16_t head, uint32_t len)
{
	uint8_t elem[USED_ELEM] = {
	    (uint8_t)head,	  (uint8_t)(head >> 8), 0, 0, (uint8_t)len, (uint8_t)(len >> 8),
	    (uint8_t)(len >> 16), (uint8_t)(len >> 24)};

	if (!q->ready || !q->num)
		return -E_RANGE;
	if (h->write(
		h->ctx,
		ipa_add(q->used, USED_RING + (uint64_t)USED_ELEM * (q->used_idx & (q->num - 1))),
		elem, sizeof(elem)))
		return -E_RANGE;
	/* The element is visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->used_idx++;
	/* 2^16 used since the last interrupt decision: signalled_used no longer tells (§2.7.10). */
	if (q->used_idx == q->signalled_used)
		q->signalled_valid = false;
	return write_u16(h, ipa_add(q->used, USED_IDX), q->used_idx) ? -E_RANGE : E_OK;
}

bool virtq_wants_irq(struct virtq *q, const struct virtio_hooks *h)
{
	uint16_t flags, event, old = q->signalled_used;
	bool valid = q->signalled_valid;

	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the used idx written before the flags read */
	if (!q->event_idx)
		return read_u16(h, q->avail, &flags) || !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	/* used_event is read once; an unreadable one (never: the layout was checked) interrupts. */
	return !valid || read_u16(h, used_event_at(q), &event) ||
	       need_event(event, q->used_idx, old);
}
