/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arch interface: what core code needs from the CPU's EL1 and EL2 state. Core code (the
 * exit handlers, vCPU reset and exception injection, lifecycle, scheduling decisions) calls
 * only these; the system register accesses behind them live in one implementation each:
 *   hyp/arch/aarch64/   kestrel at EL2 with HCR_EL2.E2H = 0 (the _EL1 registers are the
 *                       guest's while its vCPU is loaded);
 *   hyp/arch/fake/      a host model for unit tests: a register file per CPU in memory.
 * A VHE implementation (E2H = 1: the guest's registers through the _EL12/_EL02 accessors) is
 * one more directory behind the same functions, not a change to core code.
 */
#ifndef KESTREL_ARCH_H
#define KESTREL_ARCH_H

#include <kestrel/types.h>

struct vcpu;
struct pcpu;

/* The physical CPU this code runs on. */
#ifdef KESTREL_HOST_TEST
struct pcpu *this_pcpu(void); /* the fake arch's: the CPU a test says it runs on */
#else
static inline struct pcpu *this_pcpu(void)
{
	struct pcpu *p;

	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(p)); /* set once per CPU at boot */
	return p;
}
#endif

/* The vCPU's EL1 context (struct el1_sysregs), timers, vGIC CPU interface and EL2 controls
   onto this CPU, and back into the vCPU (its timers then stop firing here). */
void arch_vcpu_load(struct vcpu *vcpu);
void arch_vcpu_put(struct vcpu *vcpu);
/* After a put for good: no guest regime on this CPU (no stage 2, EL1 not a guest's). */
void arch_no_guest(void);

/* The loaded vCPU's EL1 registers that exception injection reads. */
uint64_t arch_el1_vbar(void);
uint64_t arch_el1_far(void);
uint64_t arch_el1_sctlr(void); /* SPAN and DSSBS say what exception entry sets */
/* What the hardware does at the guest's EL1 when it takes an exception there: the return
   address and state, the syndrome and the fault address, into the loaded vCPU's registers. */
void arch_el1_exception(uint64_t elr, uint64_t spsr, uint64_t esr, uint64_t far);

/* The physical counter, in ticks of hyp.cntfrq: every time base in kestrel. */
uint64_t arch_counter(void);

/* The world-switch entry points and the FP/SIMD register file (entry.S). */
struct fpsimd_state;
NORETURN void vcpu_enter_fresh(struct vcpu *vcpu, uintptr_t stack_top);
NORETURN void call_on_fresh_stack(void *arg, uintptr_t stack_top, void (*fn)(void *));
void fpsimd_save(struct fpsimd_state *st);
void fpsimd_restore(const struct fpsimd_state *st);

#endif
