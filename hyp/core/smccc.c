/*
 * SMC Calling Convention: HVC and trapped SMC both land here. Function ids are routed by
 * their owning entity; anything kestrel does not implement answers NOT_SUPPORTED.
 */
#include <kestrel/exits.h>
#include <kestrel/shm.h>
#include <kestrel/smccc.h>

static int64_t arch_call(uint32_t fid, uint64_t a1)
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

void smccc_dispatch(struct vcpu *vcpu)
{
	uint32_t fid = (uint32_t)vcpu->regs.x[0];
	uint64_t *x = vcpu->regs.x;
	int64_t ret;

	switch (SMCCC_OWNER(fid)) {
	case SMCCC_OWNER_ARCH:
		ret = arch_call(fid, x[1]);
		break;
	case SMCCC_OWNER_STANDARD:
		ret = psci_call(vcpu, fid, x[1], x[2], x[3]);
		break;
	case SMCCC_OWNER_VENDOR_HYP:
		ret = fid == KESTREL_SHM_DOORBELL ? shm_doorbell(vcpu, x[1]) : SMCCC_NOT_SUPPORTED;
		break;
	default:
		ret = SMCCC_NOT_SUPPORTED;
		break;
	}
	x[0] = (uint64_t)ret;
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
	vcpu_skip_instr(vcpu);
	smccc_hvc_exit(vcpu, esr);
}
