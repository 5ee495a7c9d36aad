/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake CPUs: which one runs, its counter, EL2 timer, traps and identification, and the
 * registers an exit shows. Tests set and read them through struct fake_arch.
 */
#include <string.h>

#include <arch/fake_arch.h>

struct fake_arch fake_arch;

void fake_arch_reset(void)
{
	memset(&fake_arch, 0, sizeof(fake_arch));
}

struct fake_cpu *fake_cpu(void)
{
	return &fake_arch.cpu[fake_arch.this_cpu];
}

struct pcpu *fake_this_pcpu(void)
{
	return fake_arch.pcpus ? &fake_arch.pcpus[fake_arch.this_cpu] : NULL;
}

uint64_t fake_counter(void)
{
	uint64_t now = fake_arch.counter;

	fake_arch.counter += fake_arch.counter_step;
	return now;
}

void fake_wfi(void)
{
	fake_cpu()->wfis++;
	fake_arch.counter += fake_arch.wfi_step;
	if (fake_arch.wfi_escapes && fake_arch.escape)
		longjmp(*fake_arch.escape, FAKE_JUMP_WFI);
}

uint64_t fake_exit_read(unsigned which)
{
	return which == FAKE_EXIT_FAR	  ? fake_cpu()->exit_far
	       : which == FAKE_EXIT_HPFAR ? fake_cpu()->exit_hpfar
					  : fake_cpu()->exit_esr;
}

void fake_el2_timer_set(bool on, uint64_t deadline)
{
	fake_cpu()->el2_timer_on = on;
	fake_cpu()->el2_timer_deadline = deadline;
	if (on)
		fake_cpu()->el2_timer_arms++;
}

uint64_t fake_el2_timer_deadline(void)
{
	return fake_cpu()->el2_timer_on ? fake_cpu()->el2_timer_deadline : ~0ull;
}

void fake_cpu_traps(uint64_t traps, bool fp)
{
	fake_cpu()->traps = traps;
	fake_cpu()->fp_trapped = fp;
}

uint64_t arch_id_reg(unsigned id)
{
	return id < ARRAY_SIZE(fake_arch.id_regs) ? fake_arch.id_regs[id] : 0;
}

uint64_t arch_midr(void)
{
	return fake_arch.midr;
}

uint64_t arch_counter_freq(void)
{
	return fake_arch.cntfrq;
}

unsigned arch_pmu_counters(void)
{
	return fake_arch.pmu_counters;
}

void arch_el2_fault(struct arch_el2_fault *f)
{
	memset(f, 0, sizeof(*f));
	f->far = fake_cpu()->exit_far;
}

void arch_s2_tlb_flush(uint64_t vttbr)
{
	fake_arch.tlb_flushes++;
	fake_arch.tlb_flushed_vttbr = vttbr;
}

void arch_dc_cisw(uint64_t setway)
{
	if (fake_arch.ncisw < FAKE_CISW_MAX)
		fake_arch.cisw[fake_arch.ncisw++] = setway;
}
