/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake arch (hyp/arch/fake/vcpu_context.c): the arch interface on the host, for unit tests
 * of core code. Each CPU is a register file in memory; a test picks the CPU core code runs on
 * and moves time forward.
 */
#ifndef KESTREL_FAKE_ARCH_H
#define KESTREL_FAKE_ARCH_H

#include <kestrel/arch.h>
#include <kestrel/asm_offsets.h>
#include <kestrel/vm.h>

struct fake_cpu {
	struct el1_sysregs el1;	   /* the _EL1 registers: the loaded vCPU's while it is loaded */
	const struct vcpu *loaded; /* whose context arch_vcpu_load put here */
	bool guest_regime;	   /* false after arch_no_guest */
	unsigned loads, puts;
};

struct fake_arch {
	struct fake_cpu cpu[PCPU_MAX];
	unsigned this_cpu;     /* the CPU the code under test runs on */
	struct pcpu *pcpus;    /* this_pcpu() is &pcpus[this_cpu]; NULL: none */
	uint64_t counter;      /* arch_counter() */
	uint64_t counter_step; /* added at each read: time passes as core code works */
	unsigned exceptions;   /* arch_el1_exception calls */
};

extern struct fake_arch fake_arch;

/* Everything back to power-on: no vCPU loaded anywhere, the counter at 0. */
void fake_arch_reset(void);

#endif
