/* SPDX-License-Identifier: Apache-2.0 */
/* SMCCC calls from guests: their arguments and their dispatch (smccc.c). */
#ifndef KESTREL_SMCCC_H
#define KESTREL_SMCCC_H

#include <kestrel/exit_result.h>
#include <kestrel/smccc_ids.h>
#include <kestrel/vm.h>

/*
 * An SMCCC call's arguments are x0-x17 of the caller (SMCCC 1.1: x18 and
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
exit_fn smccc_hvc_exit;
exit_fn smccc_smc_exit;

#endif
