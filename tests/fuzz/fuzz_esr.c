/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/core/esr.c */
/*
 * Exception syndromes as the guest can shape them: each 24 bytes of input are ESR_EL2,
 * HPFAR_EL2 and FAR_EL2 (little-endian), decoded as a data abort and as a trapped MSR/MRS, with
 * the class named. A decoded access must be one the MMIO path can carry out: width 1, 2, 4 or
 * 8, a register number up to 31, an IPA below 2^56 whose page offset is FAR's.
 */
#include <string.h>

#include <kestrel/esr.h>

#include "harness.h"

static void check_dabt(uint64_t esr, uint64_t hpfar, uint64_t far)
{
	uint64_t iss = ESR_ISS(esr);
	bool expect = (iss & BIT(24)) && !(iss & BIT(7)); /* ISV, and not a stage-1 walk */
	struct mmio_access acc, untouched;
	bool ok;

	memset(&acc, 0x5a, sizeof(acc));
	untouched = acc;
	ok = esr_decode_dabt(esr, hpfar, far, &acc);
	FUZZ_CHECK(ok == expect, "ESR 0x%llx decoded: %d", (unsigned long long)esr, ok);
	if (!ok) {
		FUZZ_CHECK(!memcmp(&acc, &untouched, sizeof(acc)),
			   "refused decode wrote the access");
		return;
	}
	FUZZ_CHECK(acc.width == 1 || acc.width == 2 || acc.width == 4 || acc.width == 8, "width %u",
		   acc.width);
	FUZZ_CHECK(acc.reg <= 31, "register %u", acc.reg);
	FUZZ_CHECK(acc.ipa < (1ull << 56), "IPA 0x%llx", (unsigned long long)acc.ipa);
	FUZZ_CHECK((acc.ipa & 0xfff) == (far & 0xfff), "page offset");
	FUZZ_CHECK(acc.ipa == esr_fault_ipa(hpfar, far), "IPA differs from esr_fault_ipa");
	FUZZ_CHECK(acc.write == !!(iss & BIT(6)), "direction");
}

static void check_sysreg(uint64_t esr)
{
	uint64_t iss = ESR_ISS(esr);
	struct sysreg_access acc;

	memset(&acc, 0x5a, sizeof(acc));
	esr_decode_sysreg(esr, &acc);
	FUZZ_CHECK(acc.reg <= 31, "register %u", acc.reg);
	FUZZ_CHECK((acc.key & ~SYSREG_KEY_MASK) == 0, "key 0x%x", acc.key);
	FUZZ_CHECK(acc.read == (iss & 1), "direction");
	/* The key packs op0, op1, CRn, CRm, op2 from their ISS fields. */
	FUZZ_CHECK(acc.key == SYSREG_KEY(FIELD(iss, 20, 2), FIELD(iss, 14, 3), FIELD(iss, 10, 4),
					 FIELD(iss, 1, 4), FIELD(iss, 17, 3)),
		   "key 0x%x for ISS 0x%llx", acc.key, (unsigned long long)iss);
}

static void check_name(unsigned ec)
{
	const char *name = esr_ec_name(ec);

	FUZZ_CHECK(name && strlen(name) > 0, "no name for class 0x%x", ec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);

	while (!fuzz_done(&in)) {
		uint64_t esr = fuzz_u64(&in), hpfar = fuzz_u64(&in), far = fuzz_u64(&in);
		check_dabt(esr, hpfar, far);
		check_sysreg(esr);
		check_name(ESR_EC(esr));
		check_name((unsigned)(esr >> 32)); /* any unsigned, not only 6-bit classes */
		FUZZ_CHECK(esr_fault_ipa(hpfar, far) < (1ull << 56), "fault IPA");
	}
	return 0;
}
