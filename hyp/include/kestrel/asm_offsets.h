/* SPDX-License-Identifier: Apache-2.0 */
/* Offsets the assembly uses into C structures; C checks them with static_assert. */
#ifndef KESTREL_ASM_OFFSETS_H
#define KESTREL_ASM_OFFSETS_H

#define VCPU_REGS_X0	 0
#define VCPU_REGS_X30	 240
#define VCPU_REGS_PC	 248
#define VCPU_REGS_PSTATE 256
#define VCPU_ATTENTION	 264
#define VCPU_STATS	 272
#define ASM_EC_HVC64	 0x16  /* ESR_EL2.EC of an HVC: the exit that saves only x0-x19 */
#define EXIT_SLOW_BIT	 16    /* exit_result.h: the bit of every result but "resume" */
#define ASM_PSTATE_BTYPE 0xc00 /* pstate.h: PSTATE_BTYPE, cleared past an emulated instruction */
#define PCPU_CURRENT	 0     /* struct pcpu.current: the vCPU whose registers are live */
#define PCPU_STACK_SIZE	 16384
#define PCPU_MAX	 8

#endif
