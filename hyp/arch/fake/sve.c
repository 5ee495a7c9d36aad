/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SVE's registers on the host: a register file per fake CPU (fake_arch.h). As on the CPU,
 * moving them with FP or SVE trapped at EL2 would be an exception kestrel takes from itself:
 * here it aborts the test.
 */
#include <stdlib.h>
#include <string.h>

#include <arch/fake_arch.h>
#include <kestrel/sve.h>
#include <kestrel/sysreg_defs.h>

uint32_t sve_probe_vqs(void)
{
	return fake_arch.sve_vqs;
}

static void untrapped(void)
{
	if (fake_cpu()->fp_trapped || (fake_cpu()->traps & CPTR_TZ))
		abort();
}

void sve_save(struct vcpu *vcpu)
{
	unsigned vq = vcpu->vm->sve_vq;

	untrapped();
	fake_cpu()->zcr_el2_vq = vq;
	fake_cpu()->sve_saves++;
	memcpy(vcpu->sve_regs, fake_cpu()->sve, SVE_STATE_SIZE(vq));
	vcpu->zcr = fake_cpu()->zcr_el1;
	vcpu->fp.fpsr = fake_cpu()->fp.fpsr;
	vcpu->fp.fpcr = fake_cpu()->fp.fpcr;
}

void sve_restore(const struct vcpu *vcpu)
{
	unsigned vq = vcpu->vm->sve_vq;

	untrapped();
	fake_cpu()->zcr_el2_vq = vq;
	fake_cpu()->sve_restores++;
	/* A longer length than the last: the bits beyond it hold what they held. */
	memcpy(fake_cpu()->sve, vcpu->sve_regs, SVE_STATE_SIZE(vq));
	fake_cpu()->zcr_el1 = vcpu->zcr;
	fake_cpu()->fp.fpsr = vcpu->fp.fpsr;
	fake_cpu()->fp.fpcr = vcpu->fp.fpcr;
}
