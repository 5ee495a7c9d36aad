/* SPDX-License-Identifier: Apache-2.0 */
/* MTE's tag registers on the host: a register file per fake CPU (fake_arch.h). */
#include <string.h>

#include <arch/fake_arch.h>
#include <kestrel/mte.h>

void mte_restore(const struct vcpu *vcpu)
{
	memcpy(fake_cpu()->mte_regs, vcpu->mte_regs, sizeof(vcpu->mte_regs));
}

void mte_save(struct vcpu *vcpu)
{
	memcpy(vcpu->mte_regs, fake_cpu()->mte_regs, sizeof(vcpu->mte_regs));
}
