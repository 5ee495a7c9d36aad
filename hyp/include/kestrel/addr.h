/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Addresses carry their space. kestrel works with three: host physical addresses (pa_t),
 * a guest's intermediate physical addresses (ipa_t, what its stage-2 table translates) and
 * kestrel's own virtual addresses (va_t). Each is a struct of one member, so passing one
 * where another is meant does not compile; every change of space is a named conversion, and
 * that is where the reason it is right is written down.
 */
#ifndef KESTREL_ADDR_H
#define KESTREL_ADDR_H

#include <kestrel/types.h>

typedef struct {
	uint64_t pa;
} pa_t;

typedef struct {
	uint64_t ipa;
} ipa_t;

typedef struct {
	uintptr_t va;
} va_t;

static inline pa_t pa_init(uint64_t addr)
{
	return (pa_t){addr};
}

static inline uint64_t pa_addr(pa_t pa)
{
	return pa.pa;
}

static inline pa_t pa_add(pa_t pa, uint64_t offset)
{
	return pa_init(pa.pa + offset);
}

static inline ipa_t ipa_init(uint64_t addr)
{
	return (ipa_t){addr};
}

static inline uint64_t ipa_addr(ipa_t ipa)
{
	return ipa.ipa;
}

static inline ipa_t ipa_add(ipa_t ipa, uint64_t offset)
{
	return ipa_init(ipa.ipa + offset);
}

/* A direct-mapped VM's RAM and a passed-through device's registers: the guest sees them at
   their physical address, so the IPA is the PA. */
static inline ipa_t ipa_from_pa(pa_t pa)
{
	return ipa_init(pa.pa);
}

static inline va_t va_init(uintptr_t addr)
{
	return (va_t){addr};
}

static inline uintptr_t va_addr(va_t va)
{
	return va.va;
}

/* kestrel's EL2 stage-1 table maps RAM and devices at their physical addresses (mmu.c), so
   a physical address is also where kestrel reaches it. Host unit tests have no such map:
   they reach "physical" memory through their own allocator's callbacks instead. */
static inline va_t va_from_pa(pa_t pa)
{
	return va_init((uintptr_t)pa.pa);
}

static inline void *pa_to_ptr(pa_t pa)
{
	return (void *)va_addr(va_from_pa(pa));
}

#endif
