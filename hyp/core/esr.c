/* SPDX-License-Identifier: Apache-2.0 */
/* Exception class and fault status names for reports; the syndrome decoders are inline in
   esr.h. */
#include <kestrel/esr.h>

static const char *const ec_names[EC_COUNT] = {
    [EC_UNKNOWN] = "unknown reason",
    [EC_WFX] = "WFI/WFE",
    [EC_FP_ASIMD] = "FP/SIMD access",
    [EC_PAC] = "pointer authentication",
    [EC_ILLEGAL] = "illegal execution state",
    [EC_SVC64] = "SVC",
    [EC_HVC64] = "HVC",
    [EC_SMC64] = "SMC",
    [EC_SYS64] = "MSR/MRS/system instruction",
    [EC_SVE] = "SVE access",
    [EC_ERET] = "ERET (pointer authentication)",
    [EC_SME] = "SME access",
    [EC_IABT_LOW] = "instruction abort from a lower EL",
    [EC_IABT_CUR] = "instruction abort at EL2",
    [EC_PC_ALIGN] = "PC alignment fault",
    [EC_DABT_LOW] = "data abort from a lower EL",
    [EC_DABT_CUR] = "data abort at EL2",
    [EC_SP_ALIGN] = "SP alignment fault",
    [EC_SERROR] = "SError",
    [EC_BRK] = "BRK",
};

const char *esr_ec_name(unsigned ec)
{
	if (ec < EC_COUNT && ec_names[ec])
		return ec_names[ec];
	return "unexpected exception class";
}

const char *esr_fsc_name(unsigned fsc)
{
	if ((fsc & 0x3c) == 0x00)
		return "address size fault";
	if (FSC_IS_TRANSLATION(fsc))
		return "translation fault";
	if (FSC_IS_ACCESS(fsc))
		return "access flag fault";
	if (FSC_IS_PERMISSION(fsc))
		return "permission fault";
	if (fsc == FSC_EXTABT)
		return "synchronous external abort";
	if ((fsc & 0x3c) == 0x14)
		return "synchronous external abort on a table walk";
	if (fsc == 0x21)
		return "alignment fault";
	if (fsc == 0x30)
		return "TLB conflict abort";
	return "other fault";
}
