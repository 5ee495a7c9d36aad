/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exit path's part of the arch interface at EL2 with HCR_EL2.E2H = 0, inline: each is a
 * register access or two that a call would make dearer than it is. Declared and described in
 * kestrel/arch.h, which includes this file; nothing else should.
 */
#ifndef KESTREL_ARCH_INLINE_H
#define KESTREL_ARCH_INLINE_H

#include <kestrel/sysreg_defs.h>

static inline struct pcpu *this_pcpu(void)
{
	return (struct pcpu *)read_sysreg(tpidr_el2); /* set once per CPU at boot */
}

static inline uint64_t arch_counter(void)
{
	return read_sysreg(cntpct_el0);
}

static inline uint64_t arch_el1_vbar(void)
{
	return read_sysreg(vbar_el1);
}

static inline uint64_t arch_el1_far(void)
{
	return read_sysreg(far_el1);
}

static inline uint64_t arch_el1_sctlr(void)
{
	return read_sysreg(sctlr_el1);
}

static inline void arch_el1_exception(uint64_t elr, uint64_t spsr, uint64_t esr, uint64_t far)
{
	write_sysreg(elr_el1, elr);
	write_sysreg(spsr_el1, spsr);
	write_sysreg(esr_el1, esr);
	write_sysreg(far_el1, far);
}

static inline uint64_t arch_el1_timer_ctl(bool virt)
{
	return virt ? read_sysreg(cntv_ctl_el0) : read_sysreg(cntp_ctl_el0);
}

static inline uint64_t arch_exit_esr(void)
{
	return read_sysreg(esr_el2);
}

static inline uint64_t arch_exit_far(void)
{
	return read_sysreg(far_el2);
}

static inline uint64_t arch_exit_hpfar(void)
{
	return read_sysreg(hpfar_el2);
}

#define CNTHP_CTL_ENABLE BIT(0)

static inline void arch_el2_timer_arm(uint64_t deadline)
{
	write_sysreg(cnthp_cval_el2, deadline);
	write_sysreg(cnthp_ctl_el2, CNTHP_CTL_ENABLE);
	isb();
}

static inline void arch_el2_timer_cancel(void)
{
	/* The scheduler cancels at every pick with nothing to time: mostly it is off already. */
	if (!(read_sysreg(cnthp_ctl_el2) & CNTHP_CTL_ENABLE))
		return;
	write_sysreg(cnthp_ctl_el2, 0);
	isb();
}

static inline uint64_t arch_el2_timer_deadline(void)
{
	if (!(read_sysreg(cnthp_ctl_el2) & CNTHP_CTL_ENABLE))
		return ~0ull;
	return read_sysreg(cnthp_cval_el2);
}

#define ARCH_TRAPS_NONE CPTR_RES1

static inline void arch_cpu_traps(uint64_t traps, bool fp)
{
	write_sysreg(cptr_el2, traps | (fp ? CPTR_TFP : 0));
	isb();
}

/* ICH_LR<n>_EL2 is S3_4_C12_C12_n for n < 8 and S3_4_C12_C13_(n-8) above: the assembler
   needs the encoding in the instruction, so each access is one case of a switch. */
#define ICH_LR_LIST(X)                                                                             \
	X(0, 12, 0)                                                                                \
	X(1, 12, 1)                                                                                \
	X(2, 12, 2)                                                                                \
	X(3, 12, 3)                                                                                \
	X(4, 12, 4)                                                                                \
	X(5, 12, 5)                                                                                \
	X(6, 12, 6)                                                                                \
	X(7, 12, 7)                                                                                \
	X(8, 13, 0)                                                                                \
	X(9, 13, 1)                                                                                \
	X(10, 13, 2)                                                                               \
	X(11, 13, 3)                                                                               \
	X(12, 13, 4)                                                                               \
	X(13, 13, 5)                                                                               \
	X(14, 13, 6)                                                                               \
	X(15, 13, 7)

/* List register 0 is the first one filled, so it holds most interrupts: it is reached
   without the switch's jump table. */
static inline uint64_t arch_ich_lr_read(unsigned n)
{
#define ICH_LR_READ_CASE(i, crm, op2)                                                              \
	case i:                                                                                    \
		return read_sysreg(S3_4_C12_C##crm##_##op2);
	if (likely(n == 0))
		return read_sysreg(S3_4_C12_C12_0);
	switch (n) {
		ICH_LR_LIST(ICH_LR_READ_CASE)
	default:
		return 0;
	}
#undef ICH_LR_READ_CASE
}

static inline void arch_ich_lr_write(unsigned n, uint64_t v)
{
#define ICH_LR_WRITE_CASE(i, crm, op2)                                                             \
	case i:                                                                                    \
		write_sysreg(S3_4_C12_C##crm##_##op2, v);                                          \
		break;
	if (likely(n == 0)) {
		write_sysreg(S3_4_C12_C12_0, v);
		return;
	}
	switch (n) {
		ICH_LR_LIST(ICH_LR_WRITE_CASE)
	default:
		break;
	}
#undef ICH_LR_WRITE_CASE
}

static inline uint64_t arch_ich_elrsr(void)
{
	return read_sysreg(ICH_ELRSR_EL2);
}

static inline void arch_ich_hcr_write(uint64_t hcr)
{
	write_sysreg(ICH_HCR_EL2, hcr);
}

static inline void arch_icc_deactivate(unsigned intid)
{
	write_sysreg(ICC_DIR_EL1, intid);
}

#endif
