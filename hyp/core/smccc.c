/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMC Calling Convention: HVC and trapped SMC both land here. Function ids are routed by
 * their owning entity; anything kestrel does not implement answers NOT_SUPPORTED.
 */
#include <kestrel/psci.h>
#include <kestrel/shm.h>
#include <kestrel/smccc.h>
#include <kestrel/vm.h>

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
static NOINLINE exit_result arch_call(struct smccc_args *a, uint32_t fid)
{
	a->x[0] = (uint64_t)arch_result(fid, (uint32_t)a->x[1]);
	return EXIT_RESUME;
}

static NOINLINE exit_result vendor_hyp_call(struct vcpu *vcpu, struct smccc_args *a, uint32_t fid)
{
	a->x[0] = (uint64_t)(fid == KESTREL_SHM_DOORBELL ? shm_doorbell(vcpu, (uint32_t)a->x[1])
							 : SMCCC_NOT_SUPPORTED);
	return EXIT_RESUME;
}

/*
 * Each owner's handler stores its result in x0 itself, so the calls are tail calls and none
 * needs a stack frame here. The architecture calls come first: they are the ones an
 * operating system makes on hot paths (the workaround calls, when a hypervisor offers them).
 */
exit_result smccc_dispatch(struct vcpu *vcpu, struct smccc_args *a)
{
	uint32_t fid = (uint32_t)a->x[0];
	unsigned owner = SMCCC_OWNER(fid);

	if (owner == SMCCC_OWNER_ARCH)
		return arch_call(a, fid);
	if (owner == SMCCC_OWNER_STANDARD)
		return psci_call(vcpu, a, fid);
	if (owner == SMCCC_OWNER_VENDOR_HYP)
		return vendor_hyp_call(vcpu, a, fid);
	a->x[0] = (uint64_t)SMCCC_NOT_SUPPORTED;
	return EXIT_RESUME;
}

exit_result smccc_hvc_exit(struct vcpu *vcpu, uint64_t esr)
{
	struct smccc_args *a = smccc_args_of(vcpu);

	/* SMCCC uses HVC #0; other immediates are not calls kestrel knows. */
	if (ESR_ISS(esr) & 0xffff) {
		a->x[0] = (uint64_t)SMCCC_NOT_SUPPORTED;
		return EXIT_RESUME;
	}
	return smccc_dispatch(vcpu, a);
}

/* A trapped SMC leaves ELR at the SMC itself: the call is stepped over, whatever it does. */
exit_result smccc_smc_exit(struct vcpu *vcpu, uint64_t esr)
{
	return smccc_hvc_exit(vcpu, esr) | EXIT_STEP_A64;
}
