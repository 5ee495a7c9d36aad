/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake guest RAM of the virtio harnesses (fuzz_virtq, fuzz_virtio_blk, fuzz_vnet): a heap
 * block of exactly RAM_SIZE bytes at IPA RAM_BASE, reached only through the device's hooks,
 * which check ranges as kestrel's vm_copy_*_guest do; the guest rewriting a byte of it after
 * every read the device makes; and the descriptors the guest writes into it and offers.
 */
#ifndef FUZZ_GUEST_RAM_H
#define FUZZ_GUEST_RAM_H

#include <string.h>

#include <kestrel/virtq.h>

#include "harness.h"
#include "virtio_driver.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000ull

static inline bool in_ram(ipa_t ipa, uint64_t size)
{
	uint64_t a = ipa_addr(ipa);

	return a >= RAM_BASE && size <= RAM_SIZE && a - RAM_BASE <= RAM_SIZE - size;
}

/* An address in the RAM from a u16 offset. */
static inline uint64_t ram_addr(struct fuzz_in *in)
{
	return RAM_BASE + fuzz_u16(in);
}

/* What the hooks do with the RAM: E_OK, or -E_RANGE for what is not all in it. */
static inline int ram_read(const uint8_t *ram, ipa_t src, void *dst, uint64_t size)
{
	if (!in_ram(src, size))
		return -E_RANGE;
	memcpy(dst, ram + (ipa_addr(src) - RAM_BASE), size);
	return E_OK;
}

static inline int ram_write(uint8_t *ram, ipa_t dst, const void *src, uint64_t size)
{
	if (!in_ram(dst, size))
		return -E_RANGE;
	memcpy(ram + (ipa_addr(dst) - RAM_BASE), src, size);
	return E_OK;
}

/* What hooks->map does with the RAM: the pointer to all of [ipa, ipa + size) in it, or NULL. */
static inline void *ram_map(uint8_t *ram, ipa_t ipa, uint64_t size)
{
	return size && in_ram(ipa, size) ? ram + (ipa_addr(ipa) - RAM_BASE) : NULL;
}

/* The guest's own store: what falls outside the RAM is lost. */
static inline void ram_put(uint8_t *ram, uint64_t ipa, const void *src, uint64_t len)
{
	if (in_ram(ipa_init(ipa), len))
		memcpy(ram + (ipa - RAM_BASE), src, len);
}

/* Once on (operation 7: u16 offset, XOR byte), every read the device makes (a copy, or a load
   from a ring: hooks->after_ring_read) changes a byte of the RAM right after: the guest
   rewriting its rings while kestrel reads them. */
struct ram_mutation {
	bool on;
	uint16_t off;
	uint8_t xor ;
};

static inline void ram_mutation_start(struct ram_mutation *m, struct fuzz_in *in)
{
	m->on = true;
	m->off = fuzz_u16(in);
	m->xor = fuzz_u8(in);
}

static inline void ram_mutate(uint8_t *ram, const struct ram_mutation *m)
{
	if (m->on)
		ram[m->off % RAM_SIZE] ^= m->xor ;
}

/* Operation 4: writes a descriptor where the device's queue q has its table (index byte,
   address: a u16 RAM offset or with bit 4 of op a u64, length: a u16 or with bit 5 a u32,
   flags byte, next byte) and, with bit 6, offers it (its index goes on the avail ring, avail
   idx + 1). */
static inline void ram_descriptor(uint8_t *ram, const struct virtq *q, struct fuzz_in *in,
				  uint8_t op)
{
	uint8_t index = fuzz_u8(in);
	uint64_t addr = op & 0x10 ? fuzz_u64(in) : ram_addr(in);
	uint32_t len = op & 0x20 ? fuzz_u32(in) : fuzz_u16(in);
	uint8_t flags = fuzz_u8(in), next = fuzz_u8(in);
	uint8_t d[16];

	virtq_desc_bytes(d, addr, len, flags & 7, next); /* the three architected flags */
	ram_put(ram, ipa_addr(q->desc) + 16ull * index, d, sizeof(d));
	if (op & 0x40) {
		uint16_t idx = 0, entry = index;
		if (in_ram(ipa_add(q->avail, 2), 2))
			memcpy(&idx, ram + (ipa_addr(q->avail) + 2 - RAM_BASE), 2);
		ram_put(ram, ipa_addr(q->avail) + 4 + 2ull * (q->num ? idx % q->num : 0), &entry,
			2);
		idx++;
		ram_put(ram, ipa_addr(q->avail) + 2, &idx, 2);
	}
}

#endif
