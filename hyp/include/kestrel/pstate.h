/* SPDX-License-Identifier: Apache-2.0 */
/* PSTATE as SPSR holds it, and what taking an exception to EL1 makes of it. */
#ifndef KESTREL_PSTATE_H
#define KESTREL_PSTATE_H

#include <kestrel/types.h>

#define PSTATE_EL1H  0x5ull
#define PSTATE_NRW   BIT(4) /* M[4]: AArch32 */
#define PSTATE_DAIF  (0xfull << 6)
#define PSTATE_BTYPE (3ull << 10)
#define PSTATE_SSBS  BIT(12)
#define PSTATE_SS    BIT(21) /* software step: the next instruction is stepped */
#define PSTATE_PAN   BIT(22)
#define PSTATE_DIT   BIT(24)

#define SCTLR_EL1_SPAN	BIT(23)
#define SCTLR_EL1_EE	BIT(25)
#define SCTLR_EL1_E0E	BIT(24)
#define SCTLR_EL1_DSSBS BIT(44)

/*
 * PSTATE on taking an exception to EL1 from before, with SCTLR_EL1 = sctlr (the Arm ARM's
 * AArch64.TakeException): EL1h with D, A, I and F masked; PAN set unless SCTLR_EL1.SPAN keeps
 * it; DIT unchanged; SSBS from SCTLR_EL1.DSSBS; BTYPE, UAO, SS and IL 0 (TCO, ALLINT: MTE and
 * NMI are hidden from guests).
 */
static inline uint64_t pstate_el1_entry(uint64_t before, uint64_t sctlr)
{
	uint64_t pan = (sctlr & SCTLR_EL1_SPAN) ? before & PSTATE_PAN : PSTATE_PAN;

	return PSTATE_EL1H | PSTATE_DAIF | pan | (before & PSTATE_DIT) |
	       ((sctlr & SCTLR_EL1_DSSBS) ? PSTATE_SSBS : 0);
}

#endif
