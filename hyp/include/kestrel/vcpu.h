/* SPDX-License-Identifier: Apache-2.0 */
/* A vCPU's state: reset, loading, its registers, exceptions for its EL1 (vcpu.c). */
#ifndef KESTREL_VCPU_H
#define KESTREL_VCPU_H

#include <kestrel/vm.h>

void vcpu_reset(struct vcpu *vcpu, ipaddr_t entry, uint64_t x0);
/* What a vCPU switches only after its first use (vcpu->lazy: pointer authentication's keys,
   MTE's tag registers, the PMU, debug), for the arch backend's load and put to call when that
   word is not zero: into the CPU at a load; out at a put, with vgic_lr_put (the PMU's
   overflow PPI is released after it). */
void vcpu_lazy_load(struct vcpu *vcpu);
void vcpu_lazy_put(struct vcpu *vcpu);
/* The vCPU's state onto this CPU and back (the registers: arch.h); inline, the world switch
   pays for one call. */
static inline void vcpu_load(struct vcpu *vcpu)
{
	arch_vcpu_load(vcpu);
	vcpu->pcpu->loaded = vcpu;
}

static inline void vcpu_put(struct vcpu *vcpu)
{
	arch_vcpu_put(vcpu);
	vcpu->pcpu->loaded = NULL;
}
/* Register 31 is XZR for the instructions kestrel emulates. */
static inline uint64_t vcpu_get_reg(const struct vcpu *vcpu, unsigned reg)
{
	return reg < 31 ? vcpu->regs.x[reg] : 0;
}

static inline void vcpu_set_reg(struct vcpu *vcpu, unsigned reg, uint64_t val)
{
	if (reg < 31)
		vcpu->regs.x[reg] = val;
}
/* Exceptions for the guest's EL1, taken where its PC is (no step): EXIT_RESUME, or
   EXIT_LEAVE when the guest has crashed (faults in its own vectors, again and again). */
exit_result vcpu_inject_undef(struct vcpu *vcpu);
exit_result vcpu_inject_abort(struct vcpu *vcpu, bool instruction, uint64_t far, bool write);
/* The dispatcher, after stepping an AArch32 instruction: its IT block moves on. */
void vcpu_step_a32(struct vcpu *vcpu, exit_result result);
/* A physical SError taken while vcpu ran: its VM crashes, contained (EXIT_LEAVE). */
exit_result vcpu_serror(struct vcpu *vcpu, uint64_t esr);

#endif
