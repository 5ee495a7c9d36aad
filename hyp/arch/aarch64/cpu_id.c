/* SPDX-License-Identifier: Apache-2.0 */
/* What the CPU says it is and has. */
#include <kestrel/arch.h>
#include <kestrel/sysreg_defs.h>

uint64_t arch_id_reg(unsigned id)
{
	/* The assembler needs the encoding in the instruction, so one case per register. */
#define ID_CASE(m, o)                                                                              \
	case ARCH_ID(m, o):                                                                        \
		return read_sysreg(S3_0_C0_C##m##_##o)
	switch (id) {
		ID_CASE(4, 0);
		ID_CASE(4, 1);
		ID_CASE(4, 4); /* ID_AA64ZFR0_EL1: 0 without SVE */
		ID_CASE(5, 0);
		ID_CASE(6, 0);
		ID_CASE(6, 1);
		ID_CASE(6, 2);
		ID_CASE(7, 0);
		ID_CASE(7, 1);
		ID_CASE(7, 2);
	default:
		return 0;
	}
#undef ID_CASE
}

uint64_t arch_midr(void)
{
	return read_sysreg(midr_el1);
}

uint64_t arch_counter_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

unsigned arch_pmu_counters(void)
{
	return (unsigned)(read_sysreg(pmcr_el0) >> 11) & 0x1f;
}
