/* SPDX-License-Identifier: Apache-2.0 */
/*
 * System register access and the registers' bits. Only the arch implementation
 * (hyp/arch/aarch64/) and the drivers read or write system registers; core code includes this
 * for the bits alone (HCR_EL2, CPTR_EL2, MDCR_EL2 values it computes).
 */
#ifndef KESTREL_SYSREG_DEFS_H
#define KESTREL_SYSREG_DEFS_H

#include <kestrel/types.h>

#define __stringify_1(x) #x
#define __stringify(x)	 __stringify_1(x)

#include <arch/barrier.h>

#define read_sysreg(r)                                                                             \
	({                                                                                         \
		uint64_t __v;                                                                      \
		__asm__ volatile("mrs %0, " __stringify(r) : "=r"(__v));                           \
		__v;                                                                               \
	})
#define write_sysreg(r, v)                                                                         \
	do {                                                                                       \
		uint64_t __v = (uint64_t)(v);                                                      \
		__asm__ volatile("msr " __stringify(r) ", %0" : : "r"(__v));                       \
	} while (0)

/* Registers the assembler knows only by encoding. */
#define ICC_SRE_EL2	S3_4_C12_C9_5
#define ICC_SGI1R_EL1	S3_0_C12_C11_5
#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_DIR_EL1	S3_0_C12_C11_1
#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_CTLR_EL1	S3_0_C12_C12_4
#define ICC_SRE_EL1	S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICH_VTR_EL2	S3_4_C12_C11_1
#define ICH_HCR_EL2	S3_4_C12_C11_0
#define ICH_ELRSR_EL2	S3_4_C12_C11_5
#define HFGRTR_EL2	S3_4_C1_C1_4
#define HFGWTR_EL2	S3_4_C1_C1_5
#define HFGITR_EL2	S3_4_C1_C1_6
#define HDFGRTR_EL2	S3_4_C3_C1_4
#define HDFGWTR_EL2	S3_4_C3_C1_5
#define HCRX_EL2	S3_4_C1_C2_2
/* FEAT_FGT2 */
#define HDFGRTR2_EL2 S3_4_C3_C1_0
#define HDFGWTR2_EL2 S3_4_C3_C1_1
#define HFGRTR2_EL2  S3_4_C3_C1_2
#define HFGWTR2_EL2  S3_4_C3_C1_3
#define HFGITR2_EL2  S3_4_C3_C1_7
/* FEAT_RAS: what a guest's DISR_EL1 accesses reach while HCR_EL2.AMO is set */
#define VDISR_EL2 S3_4_C12_C1_1
/* FEAT_MPAM */
#define MPAM2_EL2	     S3_4_C10_C5_0
#define MPAMHCR_EL2	     S3_4_C10_C4_0
#define MPAMIDR_EL1	     S3_0_C10_C4_4
#define MPAM2_TRAPMPAM1EL1   BIT(48)
#define MPAM2_TRAPMPAM0EL1   BIT(49)
#define MPAMHCR_TRAP_MPAMIDR BIT(31)
#define MPAMIDR_HAS_HCR	     BIT(17)
#define ID_AA64MMFR3_EL1     S3_0_C0_C7_3

/* HCR_EL2 bits kestrel uses. */
#define HCR_VM	   BIT(0)
#define HCR_SWIO   BIT(1)
#define HCR_FMO	   BIT(3)
#define HCR_IMO	   BIT(4)
#define HCR_AMO	   BIT(5)
#define HCR_FB	   BIT(9)
#define HCR_BSU_IS (1ull << 10)
#define HCR_TWI	   BIT(13)
#define HCR_TWE	   BIT(14)
#define HCR_TID1   BIT(16)
#define HCR_TID3   BIT(18)
#define HCR_TSC	   BIT(19)
#define HCR_TIDCP  BIT(20)
#define HCR_TACR   BIT(21)
#define HCR_TSW	   BIT(22)
#define HCR_RW	   BIT(31)
#define HCR_TLOR   BIT(35)
#define HCR_TERR   BIT(36)
#define HCR_TEA	   BIT(37)

/* CPTR_EL2 (E2H = 0 layout). */
#define CPTR_RES1 0x000022ffull
#define CPTR_TZ	  BIT(8)
#define CPTR_TFP  BIT(10)
#define CPTR_TSM  BIT(12)
#define CPTR_TTA  BIT(20)
#define CPTR_TAM  BIT(30)

/* MDCR_EL2 */
#define MDCR_TPMCR BIT(5)
#define MDCR_TPM   BIT(6)
#define MDCR_TDOSA BIT(10)
#define MDCR_TDA   BIT(9)
#define MDCR_TDRA  BIT(11)
#define MDCR_TPMS  BIT(14)
#define MDCR_TTRF  BIT(19)
#define MDCR_HPMD  BIT(17) /* FEAT_PMUv3p1: no event counting at EL2 */
#define MDCR_HCCD  BIT(23) /* FEAT_PMUv3p5: no cycle counting at EL2 */

#endif
