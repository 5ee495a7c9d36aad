/* SPDX-License-Identifier: Apache-2.0 */
/* System register access, barriers and the virtual counter, for EL1 guests. */
#ifndef GUEST_SYSREG_H
#define GUEST_SYSREG_H

#include <stdint.h>

/* The register name is pasted into the instruction, so these have to be macros. */
#define read_sysreg(reg)                                                                           \
	({                                                                                         \
		uint64_t __val;                                                                    \
		__asm__ __volatile__("mrs %0, " #reg : "=r"(__val));                               \
		__val;                                                                             \
	})

#define write_sysreg(reg, val)                                                                     \
	do {                                                                                       \
		uint64_t __val = (uint64_t)(val);                                                  \
		__asm__ __volatile__("msr " #reg ", %0" : : "r"(__val));                           \
	} while (0)

static inline void isb(void)
{
	__asm__ __volatile__("isb" : : : "memory");
}

static inline void dsb_sy(void)
{
	__asm__ __volatile__("dsb sy" : : : "memory");
}

static inline void dmb_sy(void)
{
	__asm__ __volatile__("dmb sy" : : : "memory");
}

static inline void sev(void)
{
	__asm__ __volatile__("sev" : : : "memory");
}

/* Extract the field [lsb + width - 1 : lsb] of a register value. */
static inline uint64_t field(uint64_t val, unsigned lsb, unsigned width)
{
	return (val >> lsb) & ((1ull << width) - 1);
}

/* The isb keeps the counter read from being hoisted above earlier instructions. */
static inline uint64_t counter_now(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static inline uint64_t counter_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

/* MPIDR_EL1 without the RES1 bit 31 and the MT/U bits: the form PSCI takes. */
#define MPIDR_AFFINITY_MASK 0xff00ffffffull

#endif
