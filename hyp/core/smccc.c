/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMC Calling Convention: HVC and trapped SMC both land here. Function ids are routed by
 * their owning entity; anything kestrel does not implement answers NOT_SUPPORTED.
 */
#include <kestrel/exits.h>
#include <kestrel/shm.h>
#include <kestrel/smccc.h>

static int64_t arch_result(uint32_t fid, uint64_t a1)
{
	switch (fid) {
	case SMCCC_VERSION:
		return SMCCC_VERSION_1_1;
	case SMCCC_ARCH_FEATURES:
		/* The Spectre workaround calls are not offered: there is no firmware to call. */
		return (a1 == SMCCC_VERSION || a1 == SMCCC_ARCH_FEATURES) ? 0 : SMCCC_NOT_SUPPORTED;
	default:
		return SMCCC_NOT_SUPPORTED;
	}
}

/* SMCCC_VERSION, SMCCC_ARCH_FEATURES and the doorbell are SMC32 calls: their argument is
   W1, whatever the upper half of X1 holds (SMCCC 1.1, 2.6). */
static NOINLINE void arch_call(struct vcpu *vcpu, uint32_t fid)
{
	uint64_t *x = vcpu->regs.x;

	x[0] = (uint64_t)arch_result(fid, (uint32_t)x[1]);
}

static NOINLINE void vendor_hyp_call(struct vcpu *vcpu, uint32_t fid)
{
	uint64_t *x = vcpu->regs.x;

	x[0] = (uint64_t)(fid == KESTREL_SHM_DOORBELL ? shm_doorbell(vcpu, (uint32_t)x[1])
						      : SMCCC_NOT_SUPPORTED);
}

/*
 * Each owner's handler stores its result in x0 itself, so the calls are tail calls and none
 * needs a stack frame here. The architecture calls come first: they are the ones an
 * operating system makes on hot paths (the workaround calls, when a hypervisor offers them).
 */
void smccc_dispatch(struct vcpu *vcpu)
{
	uint64_t *x = vcpu->regs.x;
	uint32_t fid = (uint32_t)x[0];
	unsigned owner = SMCCC_OWNER(fid);

	if (owner == SMCCC_OWNER_ARCH)
		arch_call(vcpu, fid);
	else if (owner == SMCCC_OWNER_STANDARD)
		psci_call(vcpu, fid);
	else if (owner == SMCCC_OWNER_VENDOR_HYP)
		vendor_hyp_call(vcpu, fid);
	else
		x[0] = (uint64_t)SMCCC_NOT_SUPPORTED;
}

void smccc_hvc_exit(struct vcpu *vcpu, uint64_t esr)
{
	/* SMCCC uses HVC #0; other immediates are not calls kestrel knows. */
	if (ESR_ISS(esr) & 0xffff)
		vcpu->regs.x[0] = (uint64_t)SMCCC_NOT_SUPPORTED;
	else
		smccc_dispatch(vcpu);
}

void smccc_smc_exit(struct vcpu *vcpu, uint64_t esr)
{
	/* A trapped SMC leaves ELR at the SMC itself. */
	vcpu_skip_a64(vcpu);
	smccc_hvc_exit(vcpu, esr);
}
