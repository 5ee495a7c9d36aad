/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inline part of the arch interface (kestrel/arch.h) on the host: each calls the fake
 * arch's model of the register it stands for (hyp/arch/fake/), where a test sets and reads
 * the current fake CPU's registers (fake_arch.h).
 */
#ifndef KESTREL_ARCH_INLINE_H
#define KESTREL_ARCH_INLINE_H

#include <arch/barrier.h>

#define ARCH_TRAPS_NONE 0ull

struct pcpu *fake_this_pcpu(void);
uint64_t fake_counter(void);
uint64_t fake_el1_read(unsigned which);
void fake_el1_exception(uint64_t elr, uint64_t spsr, uint64_t esr, uint64_t far);
uint64_t fake_exit_read(unsigned which);
void fake_el2_timer_set(bool on, uint64_t deadline);
uint64_t fake_el2_timer_deadline(void);
void fake_cpu_traps(uint64_t traps, bool fp);
uint64_t fake_ich_lr_read(unsigned n);
void fake_ich_lr_write(unsigned n, uint64_t v);
uint64_t fake_ich_elrsr(void);
void fake_ich_hcr_write(uint64_t hcr);
void fake_icc_deactivate(unsigned intid);

enum { FAKE_EL1_VBAR, FAKE_EL1_FAR, FAKE_EL1_SCTLR, FAKE_EL1_CNTV_CTL, FAKE_EL1_CNTP_CTL };
enum { FAKE_EXIT_FAR, FAKE_EXIT_HPFAR, FAKE_EXIT_ESR };

static inline struct pcpu *this_pcpu(void)
{
	return fake_this_pcpu();
}

static inline uint64_t arch_counter(void)
{
	return fake_counter();
}

static inline uint64_t arch_el1_vbar(void)
{
	return fake_el1_read(FAKE_EL1_VBAR);
}

static inline uint64_t arch_el1_far(void)
{
	return fake_el1_read(FAKE_EL1_FAR);
}

static inline uint64_t arch_el1_sctlr(void)
{
	return fake_el1_read(FAKE_EL1_SCTLR);
}

static inline void arch_el1_exception(uint64_t elr, uint64_t spsr, uint64_t esr, uint64_t far)
{
	fake_el1_exception(elr, spsr, esr, far);
}

static inline uint64_t arch_el1_timer_ctl(bool virt)
{
	return fake_el1_read(virt ? FAKE_EL1_CNTV_CTL : FAKE_EL1_CNTP_CTL);
}

static inline uint64_t arch_exit_far(void)
{
	return fake_exit_read(FAKE_EXIT_FAR);
}

static inline uint64_t arch_exit_hpfar(void)
{
	return fake_exit_read(FAKE_EXIT_HPFAR);
}

static inline uint64_t arch_exit_esr(void)
{
	return fake_exit_read(FAKE_EXIT_ESR);
}

static inline void arch_el2_timer_arm(uint64_t deadline)
{
	fake_el2_timer_set(true, deadline);
}

static inline void arch_el2_timer_cancel(void)
{
	fake_el2_timer_set(false, 0);
}

static inline uint64_t arch_el2_timer_deadline(void)
{
	return fake_el2_timer_deadline();
}

static inline void arch_cpu_traps(uint64_t traps, bool fp)
{
	fake_cpu_traps(traps, fp);
}

static inline uint64_t arch_ich_lr_read(unsigned n)
{
	return fake_ich_lr_read(n);
}

static inline void arch_ich_lr_write(unsigned n, uint64_t v)
{
	fake_ich_lr_write(n, v);
}

static inline uint64_t arch_ich_elrsr(void)
{
	return fake_ich_elrsr();
}

static inline void arch_ich_hcr_write(uint64_t hcr)
{
	fake_ich_hcr_write(hcr);
}

static inline void arch_icc_deactivate(unsigned intid)
{
	fake_icc_deactivate(intid);
}

#endif
