/* Syndrome decoding, kept apart from the handlers so it can be tested and fuzzed on the host. */
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

ipaddr_t esr_fault_ipa(uint64_t hpfar, uint64_t far)
{
	/* HPFAR_EL2.FIPA (bits 47:4) holds IPA[55:12]. */
	return ((hpfar & 0x00000ffffffffff0ull) << 8) | (far & 0xfff);
}

bool esr_decode_dabt(uint64_t esr, uint64_t hpfar, uint64_t far, struct mmio_access *acc)
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

void esr_decode_sysreg(uint64_t esr, struct sysreg_access *acc)
{
	uint64_t iss = ESR_ISS(esr);

	acc->key = SYSREG_KEY(FIELD(iss, 20, 2), FIELD(iss, 14, 3), FIELD(iss, 10, 4),
			      FIELD(iss, 1, 4), FIELD(iss, 17, 3));
	acc->reg = (unsigned)FIELD(iss, 5, 5);
	acc->read = iss & 1;
}
