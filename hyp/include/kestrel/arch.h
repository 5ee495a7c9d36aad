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

/*
 * Inline, because the exit path uses them (each implementation's <arch/arch_inline.h>, found
 * through the include path its build gives: hyp/arch/aarch64/include or hyp/arch/fake/include).
 */
/* The physical CPU this code runs on. */
static inline struct pcpu *this_pcpu(void);
/* The physical counter, in ticks of hyp.cntfrq: every time base in kestrel. */
static inline uint64_t arch_counter(void);
/* The loaded vCPU's EL1 registers that exception injection reads. */
static inline uint64_t arch_el1_vbar(void);
static inline uint64_t arch_el1_far(void);
static inline uint64_t arch_el1_sctlr(void); /* SPAN, DSSBS, EE and E0E */
/* What the hardware does at the guest's EL1 when it takes an exception there: the return
   address and state, the syndrome and the fault address, into the loaded vCPU's registers. */
static inline void arch_el1_exception(uint64_t elr, uint64_t spsr, uint64_t esr, uint64_t far);
/* The loaded vCPU's virtual (virt) or physical EL1 timer control, ISTATUS live. */
static inline uint64_t arch_el1_timer_ctl(bool virt);
/* The exit's syndrome (ESR_EL2), fault address (FAR_EL2) and faulting IPA page (HPFAR_EL2). */
static inline uint64_t arch_exit_esr(void);
static inline uint64_t arch_exit_far(void);
static inline uint64_t arch_exit_hpfar(void);
/* kestrel's own alarm clock: the EL2 physical timer, at an absolute physical count. */
static inline void arch_el2_timer_arm(uint64_t deadline);
static inline void arch_el2_timer_cancel(void);
static inline uint64_t arch_el2_timer_deadline(void); /* ~0 when not armed */
/* The traps of the CPU's features to EL2: a vCPU's (vcpu->cptr), or ARCH_TRAPS_NONE while
   kestrel uses the CPU itself; FP/SIMD trapped too if fp. */
static inline void arch_cpu_traps(uint64_t traps, bool fp);
/* The GIC CPU interface's virtual side: list register n, the empty ones (a bit each), the
   hypervisor control; and the physical deactivation of an interrupt linked to one. */
static inline uint64_t arch_ich_lr_read(unsigned n);
static inline void arch_ich_lr_write(unsigned n, uint64_t v);
static inline uint64_t arch_ich_elrsr(void);
static inline void arch_ich_hcr_write(uint64_t hcr);
static inline void arch_icc_deactivate(unsigned intid);

/* The vCPU's EL1 context (struct el1_sysregs), timers, vGIC CPU interface and EL2 controls
   onto this CPU, and back into the vCPU (its timers then stop firing here). */
void arch_vcpu_load(struct vcpu *vcpu);
void arch_vcpu_put(struct vcpu *vcpu);
/* The loaded vCPU's HCR_EL2 (vcpu->hcr) onto this CPU, after a first use changed its traps. */
void arch_vcpu_hcr_update(const struct vcpu *vcpu);
/* After a put for good: no guest regime on this CPU (no stage 2, EL1 not a guest's). */
void arch_no_guest(void);

/* The GIC CPU interface's saved state (ICH_VMCR_EL2 and naprs of each ICH_AP<g>R<n>_EL2) in
   and out; ICH_VTR_EL2, which says how many of those and of the list registers exist. */
struct vgic_cpuif;
void arch_vgic_cpuif_load(const struct vgic_cpuif *s, unsigned naprs);
void arch_vgic_cpuif_save(struct vgic_cpuif *s, unsigned naprs);
uint64_t arch_ich_vtr(void);

/* Every stage-1 and stage-2 translation cached for the VMID of vttbr, on every CPU. */
void arch_s2_tlb_flush(uint64_t vttbr);
/* Set/way maintenance, always as clean and invalidate (DC CISW). */
void arch_dc_cisw(uint64_t setway);

/* The CPU's identification: ID register S3_0_C0_C<crm>_<op2> (ARCH_ID(crm, op2); the
   AArch64 feature registers, 0 for the others), MIDR_EL1, the counter's frequency, and how many
   event counters the PMU has (PMCR_EL0.N; call only with an architected PMU). */
#define ARCH_ID(crm, op2) ((crm)*8u + (op2))
#define ARCH_ID_AA64PFR0  ARCH_ID(4, 0)
#define ARCH_ID_AA64PFR1  ARCH_ID(4, 1)
#define ARCH_ID_AA64DFR0  ARCH_ID(5, 0)
#define ARCH_ID_AA64ISAR1 ARCH_ID(6, 1)
#define ARCH_ID_AA64ISAR2 ARCH_ID(6, 2)
#define ARCH_ID_AA64MMFR0 ARCH_ID(7, 0)
#define ARCH_ID_AA64MMFR1 ARCH_ID(7, 1)
#define ARCH_ID_AA64MMFR2 ARCH_ID(7, 2)
uint64_t arch_id_reg(unsigned id);
uint64_t arch_midr(void);
uint64_t arch_counter_freq(void);
unsigned arch_pmu_counters(void);
/* memcpy and memset use FEAT_MOPS from now on if the CPU has it (memops.c). */
void arch_memops_init(void);

/* The EL2 state every CPU sets the same way before it runs anything: its pcpu, vectors,
   parked guest regime, debug state, timers and traps as hyp says. */
void arch_cpu_init(struct pcpu *pcpu);
/* What EL2 saw when it took an exception itself (a kestrel bug): syndrome, fault address,
   return address and state. */
struct arch_el2_fault {
	uint64_t esr, far, elr, spsr;
};
void arch_el2_fault(struct arch_el2_fault *f);
/* A load from an address kestrel does not map, at EL2 (the selftest of the panic path). */
uint64_t arch_load_unmapped(uintptr_t addr);

/* The world-switch entry points and the FP/SIMD register file (entry.S). */
struct fpsimd_state;
NORETURN void vcpu_enter_fresh(struct vcpu *vcpu, uintptr_t stack_top);
NORETURN void call_on_fresh_stack(void *arg, uintptr_t stack_top, void (*fn)(void *));
void fpsimd_save(struct fpsimd_state *st);
void fpsimd_restore(const struct fpsimd_state *st);

#include <arch/arch_inline.h>

#endif
