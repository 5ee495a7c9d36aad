/* SPDX-License-Identifier: Apache-2.0 */
/* ESR_EL2 syndrome decoding: exception classes and the ISS forms kestrel emulates. Pure logic. */
#ifndef KESTREL_ESR_H
#define KESTREL_ESR_H

#include <kestrel/types.h>

#define EC_UNKNOWN  0x00
#define EC_WFX	    0x01
#define EC_FP_ASIMD 0x07
#define EC_PAC	    0x09
#define EC_ILLEGAL  0x0e
#define EC_SVC64    0x15
#define EC_HVC64    0x16
#define EC_SMC64    0x17
#define EC_SYS64    0x18
#define EC_SVE	    0x19
#define EC_ERET	    0x1a
#define EC_SME	    0x1d
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_SERROR   0x2f
#define EC_BRK	    0x3c
#define EC_COUNT    64

#define ESR_EC(esr)  ((unsigned)FIELD(esr, 26, 6))
#define ESR_IL	     BIT(25)
#define ESR_ISS(esr) ((esr)&0x1ffffff)

/* Fault status codes (DFSC/IFSC). */
#define FSC_EXTABT		0x10
#define FSC_IS_TRANSLATION(fsc) (((fsc)&0x3c) == 0x04)
#define FSC_IS_PERMISSION(fsc)	(((fsc)&0x3c) == 0x0c)
#define FSC_IS_ACCESS(fsc)	(((fsc)&0x3c) == 0x08)

const char *esr_ec_name(unsigned ec);
/* The kind of fault a DFSC/IFSC names, e.g. "permission fault". */
const char *esr_fsc_name(unsigned fsc);

/* A data access the guest made to an unmapped IPA, as the syndrome describes it. */
struct mmio_access {
	ipaddr_t ipa;
	unsigned width; /* bytes: 1, 2, 4, 8 */
	unsigned reg;	/* Rt; 31 means xzr */
	bool write;
	bool sign_extend; /* loads: sign-extend to the register width */
	bool sf;	  /* 64-bit register */
};

/* The decoders are inline: every emulated access runs one. */

/* IPA of a stage-2 fault: HPFAR_EL2.FIPA (bits 47:4, IPA[55:12]) with the page offset from
   FAR_EL2. */
static inline ipaddr_t esr_fault_ipa(uint64_t hpfar, uint64_t far)
{
	return ((hpfar & 0x00000ffffffffff0ull) << 8) | (far & 0xfff);
}

/* Decodes a data abort syndrome; false when it cannot be emulated (no valid ISS). */
static inline bool esr_decode_dabt(uint64_t esr, uint64_t hpfar, uint64_t far,
				   struct mmio_access *acc)
{
	uint64_t iss = ESR_ISS(esr);

	if (!(iss & BIT(24))) /* ISV: no syndrome for LDP/STP, writeback forms, atomics... */
		return false;
	if (iss & BIT(7)) /* S1PTW: the guest's own table walk faulted, not an access */
		return false;
	acc->ipa = esr_fault_ipa(hpfar, far);
	acc->width = 1u << FIELD(iss, 22, 2);
	acc->sign_extend = iss & BIT(21);
	acc->reg = (unsigned)FIELD(iss, 16, 5);
	acc->sf = iss & BIT(15);
	acc->write = iss & BIT(6);
	return true;
}

/*
 * A system register's op0, op1, CRn, CRm, op2, each where the ISS of a trapped MRS/MSR
 * (EC 0x18) holds it: Op0 21:20, Op2 19:17, Op1 16:14, CRn 13:10, CRm 4:1. A trapped
 * access's key is then one AND of its syndrome.
 */
#define SYSREG_KEY(op0, op1, crn, crm, op2)                                                        \
	((uint32_t)(((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1)))
#define SYSREG_KEY_MASK	    SYSREG_KEY(3, 7, 15, 15, 7)
#define SYSREG_KEY_CRM(key) (((key) >> 1) & 0xfu)
#define SYSREG_KEY_OP2(key) (((key) >> 17) & 0x7u)

struct sysreg_access {
	uint32_t key;
	unsigned reg; /* Rt; 31 means xzr */
	bool read;    /* MRS */
};

static inline void esr_decode_sysreg(uint64_t esr, struct sysreg_access *acc)
{
	uint64_t iss = ESR_ISS(esr);

	acc->key = (uint32_t)iss & SYSREG_KEY_MASK;
	acc->reg = (unsigned)FIELD(iss, 5, 5);
	acc->read = iss & 1;
}

#endif
