/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake arch (hyp/arch/fake/): the arch interface on the host, for unit tests of core code.
 * Each CPU is a register file in memory; a test picks the CPU core code runs on, sets what
 * the hardware would show (an exit's fault address, the list registers the guest emptied)
 * and reads what core code asked of it, and moves time forward.
 */
#ifndef KESTREL_FAKE_ARCH_H
#define KESTREL_FAKE_ARCH_H

#include <setjmp.h>

#include <kestrel/arch.h>
#include <kestrel/asm_offsets.h>
#include <kestrel/vm.h>

#define FAKE_LRS      16 /* list registers a fake CPU interface has */
#define FAKE_CISW_MAX 16 /* DC CISW operations remembered */

struct fake_cpu {
	struct el1_sysregs el1;	   /* the _EL1 registers: the loaded vCPU's while it is loaded */
	const struct vcpu *loaded; /* whose context arch_vcpu_load put here */
	bool guest_regime;	   /* false after arch_no_guest */
	unsigned loads, puts;
	/* ESR_EL2 (run_exit in tests/unit/dispatch.h sets it), FAR_EL2 and HPFAR_EL2 of the
	   exit being handled */
	uint64_t exit_esr, exit_far, exit_hpfar;
	/* the EL2 timer: armed (at deadline) or not, and how many times it was armed */
	bool el2_timer_on;
	uint64_t el2_timer_deadline;
	unsigned el2_timer_arms;
	uint64_t traps; /* the last arch_cpu_traps */
	bool fp_trapped;
	uint64_t ich_lr[FAKE_LRS], ich_elrsr, ich_hcr;
	struct vgic_cpuif cpuif; /* ICH_VMCR_EL2 and the active priorities */
	unsigned deactivations, last_deactivated;
	unsigned wfis;
	struct fpsimd_state fp;		 /* the FP/SIMD registers */
	uint64_t pac_keys[PAC_KEY_REGS]; /* pointer authentication's key registers */
	uint64_t mte_regs[MTE_REGS];	 /* MTE's tag registers */
	uint64_t hcr;			 /* HCR_EL2 as the last load or trap change wrote it */
	uint64_t mdcr;	 /* MDCR_EL2 as the load, pmu_untrap or debug_set_traps wrote it */
	struct vpmu pmu; /* the PMU's registers, in the vCPU's layout */
	/* The debug registers (the OS lock fields unused: the hardware's stay unlocked), and
	   whether VBAR_EL2 is the vectors of a live vCPU (debug_restore) or the common ones. */
	struct vdebug dbg;
	bool debug_vectors;
	/* SVE: Z0-Z31, P0-P15 and FFR laid out as in a vCPU's sve_regs at the vector length
	   of ZCR_EL2 (zcr_el2_vq, as sve_save and sve_restore set it), ZCR_EL1 */
	uint8_t sve[SVE_STATE_SIZE(SVE_VQ_MAX)];
	unsigned zcr_el2_vq;
	uint64_t zcr_el1;
	unsigned sve_saves, sve_restores;
};

/* Where a fake CPU's code that never returns (entering a guest, halting) ends: a longjmp to
   the test's fake_arch.escape with one of these, or abort() without one. */
enum fake_jump { FAKE_JUMP_NONE, FAKE_JUMP_GUEST, FAKE_JUMP_WFI, FAKE_JUMP_HALT };

struct fake_arch {
	struct fake_cpu cpu[PCPU_MAX];
	unsigned this_cpu;     /* the CPU the code under test runs on */
	struct pcpu *pcpus;    /* this_pcpu() is &pcpus[this_cpu]; NULL: none */
	uint64_t counter;      /* arch_counter() */
	uint64_t counter_step; /* added at each read: time passes as core code works */
	uint64_t wfi_step;     /* added at each WFI: the time a CPU sleeps */
	unsigned exceptions;   /* arch_el1_exception calls */
	/* the CPU's identification, as arch_id_reg and its neighbours answer */
	uint64_t id_regs[ARCH_ID(7, 7) + 1], midr, cntfrq, ich_vtr;
	unsigned pmu_counters;
	uint32_t sve_vqs;     /* sve_probe_vqs: the vector lengths the CPU implements */
	unsigned tlb_flushes; /* arch_s2_tlb_flush calls, and the VTTBR of the last */
	uint64_t tlb_flushed_vttbr;
	uint64_t cisw[FAKE_CISW_MAX]; /* arch_dc_cisw's operands, oldest first */
	unsigned ncisw;
	unsigned zeroings; /* zero_pages calls */
	/* A page whose allocation tags are not all zero (0: none), as zero_tags_left sees it;
	   zero_pages over it zeroes them, as DC GZVA does. */
	paddr_t tagged_page;
	jmp_buf *escape;	 /* set: where vcpu_enter_fresh and halt_forever jump */
	bool wfi_escapes;	 /* a WFI jumps there too (the scheduler found nothing to run) */
	struct vcpu *entered;	 /* the vCPU the last vcpu_enter_fresh entered */
	unsigned entries, halts; /* vcpu_enter_fresh and halt_forever calls */
};

extern struct fake_arch fake_arch;

/* Everything back to power-on: no vCPU loaded anywhere, the counter at 0. */
void fake_arch_reset(void);
/* The current fake CPU's registers. */
struct fake_cpu *fake_cpu(void);

#endif
