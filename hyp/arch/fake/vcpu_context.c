/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arch interface (arch.h) on the host: a loaded vCPU's EL1 context is copied into the
 * current fake CPU's register file and back, as the aarch64 implementation moves it between
 * struct el1_sysregs and the _EL1 registers. Unit tests link this instead of
 * hyp/arch/aarch64/vcpu_context.c.
 */
#include <string.h>

#include "fake_arch.h"

struct fake_arch fake_arch;

void fake_arch_reset(void)
{
	memset(&fake_arch, 0, sizeof(fake_arch));
}

struct pcpu *this_pcpu(void)
{
	return fake_arch.pcpus ? &fake_arch.pcpus[fake_arch.this_cpu] : NULL;
}

static struct fake_cpu *cpu(void)
{
	return &fake_arch.cpu[fake_arch.this_cpu];
}

void arch_vcpu_load(struct vcpu *vcpu)
{
	cpu()->el1 = vcpu->sys;
	cpu()->loaded = vcpu;
	cpu()->guest_regime = true;
	cpu()->loads++;
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	vcpu->sys = cpu()->el1;
	cpu()->loaded = NULL;
	cpu()->puts++;
}

void arch_no_guest(void)
{
	cpu()->guest_regime = false;
}

uint64_t arch_el1_vbar(void)
{
	return cpu()->el1.vbar;
}

uint64_t arch_el1_far(void)
{
	return cpu()->el1.far;
}

uint64_t arch_el1_sctlr(void)
{
	return cpu()->el1.sctlr;
}

void arch_el1_exception(uint64_t elr, uint64_t spsr, uint64_t esr, uint64_t far)
{
	cpu()->el1.elr = elr;
	cpu()->el1.spsr = spsr;
	cpu()->el1.esr = esr;
	cpu()->el1.far = far;
	fake_arch.exceptions++;
}

uint64_t arch_counter(void)
{
	uint64_t now = fake_arch.counter;

	fake_arch.counter += fake_arch.counter_step;
	return now;
}
