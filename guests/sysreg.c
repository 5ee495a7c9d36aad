/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sysreg: the system registers kestrel emulates or sanitizes: ID registers hide EL2, EL3,
 * RAS, VHE, MTE and SME and show pointer authentication, which works (PACGA under two keys),
 * and SVE (QEMU's max CPU has it; the sve guest uses it); the PMU's registers exist exactly
 * when ID_AA64DFR0_EL1 shows one (guests/pmu.c tests the PMU itself); MPIDR_EL1 matches the
 * DTB; ACTLR_EL1 reads as 0; IMPLEMENTATION DEFINED registers are UNDEFINED.
 */
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

static void check_field(const char *reg, const char *name, uint64_t val, unsigned lsb,
			uint64_t expected)
{
	uint64_t f = field(val, lsb, 4);

	if (f == expected)
		check(true, "%s.%s (bits %u:%u) = %lu", reg, name, lsb + 3, lsb, f);
	else
		check(false, "%s.%s (bits %u:%u) = %lu (expected %lu)", reg, name, lsb + 3, lsb, f,
		      expected);
}

/* Out of line so the compiler cannot move or merge the accesses that fault. */
static __attribute__((noinline)) void read_impdef(void)
{
	__asm__ __volatile__("mrs x0, s3_0_c15_c0_0" : : : "x0", "memory");
}

static __attribute__((noinline)) void read_pmcr(void)
{
	__asm__ __volatile__("mrs x0, pmcr_el0" : : : "x0", "memory");
}

static __attribute__((noinline)) void read_scxtnum(void)
{
	__asm__ __volatile__("mrs x0, s3_0_c13_c0_7" : : : "x0", "memory");
}

static void check_undef(const char *what, void (*access)(void))
{
	exception_expect(0);
	access();
	unsigned taken = exception_expect_end();

	if (check(taken == 1, "%s: took %u exception(s), expected exactly 1", what, taken)) {
		unsigned ec = ESR_EC(last_exception.esr);
		check(ec == EC_UNKNOWN, "%s: ESR_EL1.EC = 0x%x (0x0: unknown reason, UNDEF)", what,
		      ec);
	}
}

static void check_mpidr(void)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);
	uint64_t aff = mpidr & MPIDR_AFFINITY_MASK;
	bool in_dtb = false;

	for (unsigned i = 0; i < boot_info.num_cpus; i++)
		in_dtb |= boot_info.cpu_mpidr[i] == aff;
	check(mpidr & (1ul << 31), "MPIDR_EL1 = 0x%lx: bit 31 (RES1) set", mpidr);
	check(field(mpidr, 0, 8) == 0, "MPIDR_EL1.Aff0 = %lu: the boot vCPU is vCPU 0",
	      field(mpidr, 0, 8));
	check(in_dtb, "MPIDR_EL1 affinity 0x%lx matches a /cpus/cpu reg in the DTB", aff);
	if (boot_info.num_cpus > 0)
		check_eq("reg of the first /cpus/cpu node", boot_info.cpu_mpidr[0], aff);
}

/* PACGA x0, x1, x2 (the encoding: no assembler option needed) under APGAKey = lo, hi. */
static uint64_t pacga_under(uint64_t lo, uint64_t hi)
{
	register uint64_t x0 __asm__("x0");
	register uint64_t x1 __asm__("x1") = 0x4000123456789abcull;
	register uint64_t x2 __asm__("x2") = 0x42;

	write_sysreg(S3_0_C2_C3_0, lo);
	write_sysreg(S3_0_C2_C3_1, hi);
	isb();
	__asm__ volatile(".inst 0x9ac23020" : "=r"(x0) : "r"(x1), "r"(x2));
	return x0;
}

int main(const void *dtb)
{
	(void)dtb;
	/* VPIDR_EL2's value: the sysreg case checks it is the MIDR of kestrel's banner. */
	uint64_t midr = read_sysreg(midr_el1);
	printf("guest MIDR_EL1 = 0x%lx\n", midr);
	check_field("MIDR_EL1", "Architecture", midr, 16, 0xf);
	check(field(midr, 24, 8) != 0 || field(midr, 4, 12) != 0,
	      "MIDR_EL1 names an implementer or a part number");

	uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);
	printf("ID_AA64PFR0_EL1 = 0x%016lx\n", pfr0);
	check_field("ID_AA64PFR0_EL1", "EL0", pfr0, 0, 1);
	check_field("ID_AA64PFR0_EL1", "EL1", pfr0, 4, 1);
	check_field("ID_AA64PFR0_EL1", "EL2", pfr0, 8, 0);
	check_field("ID_AA64PFR0_EL1", "EL3", pfr0, 12, 0);
	check_field("ID_AA64PFR0_EL1", "RAS", pfr0, 28, 0);
	check(field(pfr0, 32, 4) >= 1, "ID_AA64PFR0_EL1.SVE shown (%lu)", field(pfr0, 32, 4));
	check_eq("ID_AA64SMFR0_EL1: SME hidden", read_sysreg(S3_0_C0_C4_5), 0);

	uint64_t pfr1 = read_sysreg(id_aa64pfr1_el1);
	printf("ID_AA64PFR1_EL1 = 0x%016lx\n", pfr1);
	check_field("ID_AA64PFR1_EL1", "MTE", pfr1, 8, 0);
	check_field("ID_AA64PFR1_EL1", "SME", pfr1, 24, 0);

	uint64_t isar1 = read_sysreg(id_aa64isar1_el1);
	printf("ID_AA64ISAR1_EL1 = 0x%016lx\n", isar1);
	/* Pointer authentication is shown (kestrel switches its keys): QEMU's max CPU has the
	   generic form, which works whatever the translation regime, so it is tried: a MAC under
	   one key, another under a second key, the first again under the first key. The first
	   key write traps to kestrel once (its keys go live) and runs again. */
	check(field(isar1, 4, 4) || field(isar1, 8, 4),
	      "ID_AA64ISAR1_EL1: address authentication "
	      "shown (APA %lu, API %lu)",
	      field(isar1, 4, 4), field(isar1, 8, 4));
	if (check(field(isar1, 24, 4) || field(isar1, 28, 4),
		  "ID_AA64ISAR1_EL1: generic authentication shown (GPA %lu, GPI %lu)",
		  field(isar1, 24, 4), field(isar1, 28, 4))) {
		uint64_t mac1 = pacga_under(0x0123456789abcdefull, 0xfedcba9876543210ull);
		uint64_t mac2 = pacga_under(0x1111111111111111ull, 0x2222222222222222ull);
		uint64_t mac1_again = pacga_under(0x0123456789abcdefull, 0xfedcba9876543210ull);
		check(mac1 != 0 && (mac1 & 0xffffffff) == 0,
		      "PACGA gives a 32-bit MAC in the upper half: 0x%lx", mac1);
		check(mac1 != mac2, "another key, another MAC (0x%lx, 0x%lx)", mac1, mac2);
		check(mac1 == mac1_again, "the same key, the same MAC (0x%lx, 0x%lx)", mac1,
		      mac1_again);
		check(read_sysreg(S3_0_C2_C3_0) == 0x0123456789abcdefull &&
			  read_sysreg(S3_0_C2_C3_1) == 0xfedcba9876543210ull,
		      "APGAKey_EL1 reads back as written");
	}

	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	printf("ID_AA64DFR0_EL1 = 0x%016lx\n", dfr0);
	check_field("ID_AA64DFR0_EL1", "DebugVer", dfr0, 0, 6);
	uint64_t pmuver = field(dfr0, 8, 4);
	check(pmuver <= 7, "ID_AA64DFR0_EL1.PMUVer %lu: none, or PMUv3 up to v3p7", pmuver);

	uint64_t mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	printf("ID_AA64MMFR1_EL1 = 0x%016lx\n", mmfr1);
	check_field("ID_AA64MMFR1_EL1", "VH", mmfr1, 8, 0);

	check_mpidr();
	check_eq("ACTLR_EL1", read_sysreg(actlr_el1), 0);

	check_undef("mrs S3_0_C15_C0_0 (IMPLEMENTATION DEFINED)", read_impdef);
	if (pmuver == 0) {
		check_undef("mrs PMCR_EL0", read_pmcr);
	} else {
		exception_expect(0);
		uint64_t pmcr = read_sysreg(pmcr_el0);
		check(exception_expect_end() == 0 && field(pmcr, 11, 5) >= 1,
		      "PMCR_EL0 reads with the PMU shown: N = %lu", field(pmcr, 11, 5));
	}
	/* SCXTNUM_EL1 UNDEFs here: the ID registers must not say it exists (CSV2 2 or more,
	   or CSV2 1 with CSV2_frac 2) */
	check(field(pfr0, 56, 4) <= 1 && field(pfr1, 32, 4) <= 1,
	      "CSV2 %lu, CSV2_frac %lu: no SCXTNUM_ELx advertised", field(pfr0, 56, 4),
	      field(pfr1, 32, 4));
	check_undef("mrs SCXTNUM_EL1", read_scxtnum);
	check(true, "still running after the UNDEFs");

	test_finish();
}
