/* SPDX-License-Identifier: Apache-2.0 */
/* The tag registers of MTE (kestrel/mte.h says when they are switched). */
#include <kestrel/mte.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>

/* The assembler needs each encoding in its instruction (no MTE in -march=armv8-a). */
#define MTE_REG_LIST(X)                                                                            \
	X(0, S3_0_C1_C0_6) /* GCR_EL1 */                                                           \
	X(1, S3_0_C1_C0_5) /* RGSR_EL1 */                                                          \
	X(2, S3_0_C5_C6_0) /* TFSR_EL1 */                                                          \
	X(3, S3_0_C5_C6_1) /* TFSRE0_EL1 */

void mte_restore(const struct vcpu *vcpu)
{
#define RESTORE(i, reg) write_sysreg(reg, vcpu->mte_regs[i]);
	MTE_REG_LIST(RESTORE)
#undef RESTORE
}

void mte_save(struct vcpu *vcpu)
{
	/* The vCPU's asynchronous tag check faults are in TFSR_EL1 by now: SCTLR_EL2.ITFSB
	   makes the exception entry to EL2 synchronize them (mmu.c). */
#define SAVE(i, reg) vcpu->mte_regs[i] = read_sysreg(reg);
	MTE_REG_LIST(SAVE)
#undef SAVE
}
