/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pointer authentication for guests (FEAT_PAuth), switched lazily: a vCPU starts with its PAC
 * instructions (HCR_EL2.API clear) and its key registers (HCR_EL2.APK clear) trapped; its first
 * use traps here once, kestrel loads the vCPU's five key pairs and stops trapping it. From then
 * on the keys are saved and restored with its EL1 context. A vCPU that never signs a pointer
 * pays nothing, and the keys another vCPU left in the registers are out of its reach: every
 * instruction that would use or read them traps.
 *   hyp/core/pac.c           the first use;
 *   hyp/arch/aarch64/pac.c   the key registers;
 *   hyp/arch/fake/pac.c      a key file in memory, for unit tests.
 */
#ifndef KESTREL_PAC_H
#define KESTREL_PAC_H

#include <kestrel/exit_result.h>
#include <kestrel/types.h>

struct vcpu;

/* APIAKey, APIBKey, APDAKey, APDBKey, APGAKey: Lo then Hi each. */
#define PAC_KEY_REGS 10

/* HCR_EL2.APK (key registers) and API (PAC instructions): set while a vCPU's keys are live. */
#define HCR_APK BIT(40)
#define HCR_API BIT(41)

/* A PAC instruction trapped (ESR_EL2.EC 0x09), or an access to a key register: the vCPU's
   keys go into the registers and it stops trapping; the instruction runs again. */
exit_result pac_enable(struct vcpu *vcpu);
exit_result pac_exit(struct vcpu *vcpu, uint64_t esr);
/* The arch side: the live keys of a vCPU that uses them, into and out of the registers
   (vcpu_context.c). */
void pac_restore(const struct vcpu *vcpu);
void pac_save(struct vcpu *vcpu);

#endif
