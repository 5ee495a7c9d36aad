/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the hostile guests share: a small random number generator, time in milliseconds from
 * the virtual counter, and code written at run time (an instruction word made executable with
 * the cache maintenance the architecture asks for). Their "key=number" bootargs are read with
 * the runtime's bootarg() (boot_info.h).
 *
 * Everything is static inline: the build links each guest from its own file and the runtime
 * only (guests/guests.mk).
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdbool.h>
#include <stdint.h>
#include "boot_info.h"
#include "sysreg.h"

/* splitmix64: a good 64-bit mix, used both as the generator and as a hash. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t state;
};

static inline uint64_t rng_next(struct rng *r)
{
	r->state += 0x9e3779b97f4a7c15ull;
	return mix64(r->state);
}

/* A number in [0, n). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static inline uint64_t ms_now(void)
{
	return counter_now() / (counter_freq() / 1000);
}

/*
 * Makes instruction words just written at p (n words) visible to instruction fetch: clean
 * the data cache to the point of unification, invalidate the instruction cache, then an ISB
 * (Arm ARM B2.4.4, "concurrent modification and execution of instructions").
 */
static inline void sync_icache(volatile uint32_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		__asm__ __volatile__("dc cvau, %0" : : "r"(p + i) : "memory");
	__asm__ __volatile__("dsb ish" : : : "memory");
	for (unsigned i = 0; i < n; i++)
		__asm__ __volatile__("ic ivau, %0" : : "r"(p + i) : "memory");
	__asm__ __volatile__("dsb ish\n\tisb" : : : "memory");
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
