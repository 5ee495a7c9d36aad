/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory tagging for guests (FEAT_MTE2), switched lazily like pointer authentication
 * (kestrel/pac.h). A vCPU starts with HCR_EL2.ATA clear: its EL1 and EL0 have no access to
 * allocation tags (LDG reads 0, STG does nothing, IRG and ADDG give tag 0, no access is tag
 * checked) and its accesses to GCR_EL1, RGSR_EL1, TFSR_EL1 and TFSRE0_EL1 trap. The first
 * such access, which every OS that tags memory makes while setting up (GCR_EL1 and TFSR_EL1
 * reset to UNKNOWN values), traps here once: kestrel loads the vCPU's four registers, sets
 * ATA, and from then on switches them with its EL1 context. A vCPU that never tags memory
 * pays nothing, and the values another left in the registers are out of its reach.
 *
 * Tags are memory too: kestrel zeroes RAM with DC GZVA where MTE is present, so data and
 * tags go together whenever a page is handed over or scrubbed (hyp/arch/aarch64/zero.c),
 * and the stage-2 walk of a stopped VM checks its pages kept no tag (invariants.c).
 *   hyp/core/mte.c           the first use;
 *   hyp/arch/aarch64/mte.c   the registers;
 *   hyp/arch/fake/mte.c      a register file in memory, for unit tests.
 */
#ifndef KESTREL_MTE_H
#define KESTREL_MTE_H

#include <kestrel/exit_result.h>
#include <kestrel/types.h>

struct vcpu;

/* GCR_EL1, RGSR_EL1, TFSR_EL1, TFSRE0_EL1, in this order in vcpu->mte_regs. */
#define MTE_REGS 4

/* HCR_EL2.ATA: EL1 and EL0 may access allocation tags and the tag registers. */
#define HCR_ATA BIT(56)

/* ID_AA64PFR1_EL1.MTE at 2 or more: allocation tags in memory (FEAT_MTE2). */
#define MTE_ID_FIELD_SHIFT 8
#define MTE_ID_FEAT_MTE2   2

/* A trapped access to a tag register: the vCPU's tag state goes live and the access runs
   again (an UNDEF where the CPU has no tags to give). */
exit_result mte_enable(struct vcpu *vcpu);
/* The arch side: the registers of a vCPU that uses MTE, into and out of the CPU. */
void mte_restore(const struct vcpu *vcpu);
void mte_save(struct vcpu *vcpu);

#endif
