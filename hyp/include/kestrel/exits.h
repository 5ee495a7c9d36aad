/* SPDX-License-Identifier: Apache-2.0 */
/* Exit handlers, one per exception class, each in the file that owns that behaviour. */
#ifndef KESTREL_EXITS_H
#define KESTREL_EXITS_H

#include <kestrel/exit_result.h>
#include <kestrel/vm.h>

typedef exit_result exit_fn(struct vcpu *vcpu, uint64_t esr);

exit_fn wfx_exit;	/* wfx.c */
exit_fn fpsimd_exit;	/* fpsimd.c */
exit_fn smccc_hvc_exit; /* smccc.c */
exit_fn smccc_smc_exit;
exit_fn sysreg_exit; /* sysreg.c */
exit_fn dabt_exit;   /* abort.c */
exit_fn iabt_exit;

/* fpsimd.c: kestrel itself needs FP (libfdt): park any guest state first. */
void fpsimd_claim_for_kestrel(void);
void fpsimd_release_from_kestrel(void);
/* On the vCPU's own CPU only (CPU_OFF): another CPU's FP owner is that CPU's to change. */
void fpsimd_forget(struct vcpu *vcpu);

/*
 * smccc.c / psci.c. An SMCCC call's arguments are x0-x17 of the caller (SMCCC 1.1: x18 and
 * up are not part of a call). The hypercall exit path saves only x0-x19 (entry.S), so a
 * handler is given these and nothing else: the rest of the vCPU's saved frame is stale.
 */
#define SMCCC_ARG_REGS 18
struct smccc_args {
	uint64_t x[SMCCC_ARG_REGS];
};
_Static_assert(SMCCC_ARG_REGS <= 20, "entry.S saves x0-x19 on a hypercall");

static inline struct smccc_args *smccc_args_of(struct vcpu *vcpu)
{
	return (struct smccc_args *)(void *)vcpu->regs.x;
}

exit_result smccc_dispatch(struct vcpu *vcpu, struct smccc_args *a);
/* A PSCI call: its result goes to the caller's x0 (calls that do not return never set it). */
exit_result psci_call(struct vcpu *vcpu, struct smccc_args *a, uint32_t fid);
int64_t psci_features(uint32_t fid);

/* sysreg.c */
void sysreg_init_id_values(unsigned ipa_bits);
uint64_t id_sanitize(uint32_t key, uint64_t hw, unsigned ipa_bits);

/* irq.c: passed-through devices' SPIs */
void passthrough_irq_claim(unsigned intid, struct vm *vm);
void passthrough_irq_release(unsigned intid);
/* irq.c */
void irq_drain(void);

#endif
