/* SPDX-License-Identifier: Apache-2.0 */
/* SVE's registers at EL2 (kestrel/sve.h says when they are switched). */
#include <kestrel/sve.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>

#define ZCR_EL1 S3_0_C1_C2_0
#define ZCR_EL2 S3_4_C1_C2_0

/* sve.S */
void sve_save_regs(void *z, void *p, uint64_t *fpsr_fpcr);
void sve_load_regs(const void *z, const void *p, const uint64_t *fpsr_fpcr);
uint64_t sve_rdvl(void);

/* ZCR_EL2.LEN: EL2's vector length, and the most EL1 and EL0 get while it holds. */
static void set_vq(unsigned vq)
{
	write_sysreg(ZCR_EL2, vq - 1);
	isb();
}

uint32_t sve_probe_vqs(void)
{
	uint64_t cptr = read_sysreg(cptr_el2);
	uint32_t vqs = 0;

	write_sysreg(cptr_el2, CPTR_RES1);
	isb();
	/* A LEN the CPU does not implement gives the longest implemented length below it. */
	for (unsigned vq = 1; vq <= SVE_VQ_MAX; vq++) {
		set_vq(vq);
		vqs |= BIT(sve_rdvl() / SVE_VQ_BYTES - 1);
	}
	write_sysreg(cptr_el2, cptr);
	isb();
	return vqs;
}

void sve_save(struct vcpu *vcpu)
{
	unsigned vq = vcpu->vm->sve_vq;

	set_vq(vq);
	vcpu->zcr = read_sysreg(ZCR_EL1);
	sve_save_regs(vcpu->sve_regs, vcpu->sve_regs + SVE_P_OFFSET(vq), &vcpu->fp.fpsr);
}

void sve_restore(const struct vcpu *vcpu)
{
	unsigned vq = vcpu->vm->sve_vq;

	set_vq(vq);
	write_sysreg(ZCR_EL1, vcpu->zcr);
	sve_load_regs(vcpu->sve_regs, vcpu->sve_regs + SVE_P_OFFSET(vq), &vcpu->fp.fpsr);
}
