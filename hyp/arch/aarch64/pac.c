/* SPDX-License-Identifier: Apache-2.0 */
/* The key registers of pointer authentication (kestrel/pac.h says when they are switched). */
#include <kestrel/pac.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>

/* The assembler needs each encoding in its instruction: one line per key register. */
#define PAC_KEYS(X)                                                                                \
	X(0, S3_0_C2_C1_0) /* APIAKeyLo_EL1 */                                                     \
	X(1, S3_0_C2_C1_1)                                                                         \
	X(2, S3_0_C2_C1_2) /* APIBKeyLo_EL1 */                                                     \
	X(3, S3_0_C2_C1_3)                                                                         \
	X(4, S3_0_C2_C2_0) /* APDAKeyLo_EL1 */                                                     \
	X(5, S3_0_C2_C2_1)                                                                         \
	X(6, S3_0_C2_C2_2) /* APDBKeyLo_EL1 */                                                     \
	X(7, S3_0_C2_C2_3)                                                                         \
	X(8, S3_0_C2_C3_0) /* APGAKeyLo_EL1 */                                                     \
	X(9, S3_0_C2_C3_1)

void pac_restore(const struct vcpu *vcpu)
{
#define RESTORE(i, reg) write_sysreg(reg, vcpu->pac_keys[i]);
	PAC_KEYS(RESTORE)
#undef RESTORE
}

void pac_save(struct vcpu *vcpu)
{
#define SAVE(i, reg) vcpu->pac_keys[i] = read_sysreg(reg);
	PAC_KEYS(SAVE)
#undef SAVE
}
