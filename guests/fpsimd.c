/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fpsimd: kestrel switches FP/SIMD state lazily, trapping the first use. Whatever it does,
 * v0-v31, FPCR and FPSR must hold the guest's values across many exits.
 */
#include "boot_info.h"
#include "check.h"
#include "mmio.h"
#include "pl011.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"

#define EXITS 2000

/* FZ, DN and RMode = 0b11 (towards zero): control bits every implementation has. */
#define TEST_FPCR 0x03c00000ul
/* QC and the IXC and IOC cumulative flags. */
#define TEST_FPSR 0x08000011ul

void fpsimd_load(const uint64_t regs[64], uint64_t fpcr, uint64_t fpsr);
void fpsimd_save(uint64_t regs[64], uint64_t *fpcr, uint64_t *fpsr);

/* ldp/stp of q registers with the MMU off need 16-byte alignment. */
static _Alignas(16) uint64_t loaded[64], saved[64];

/* Distinct in every register and in both halves of each. */
static uint64_t pattern(unsigned reg, unsigned half)
{
	uint64_t lo = 0xa5a5000000000000ul | ((uint64_t)reg << 32) | (0x01010101ul * (reg + 1));
	return half ? ~lo : lo;
}

static unsigned count_mismatches(void)
{
	unsigned bad = 0;

	for (unsigned reg = 0; reg < 32; reg++) {
		uint64_t lo = saved[2 * reg], hi = saved[2 * reg + 1];

		if (lo != loaded[2 * reg] || hi != loaded[2 * reg + 1]) {
			printf("  v%u = 0x%016lx%016lx, expected 0x%016lx%016lx\n", reg, hi, lo,
			       loaded[2 * reg + 1], loaded[2 * reg]);
			bad++;
		}
	}
	return bad;
}

int main(const void *dtb)
{
	uint64_t fpcr, fpsr;
	(void)dtb;

	for (unsigned reg = 0; reg < 32; reg++) {
		loaded[2 * reg] = pattern(reg, 0);
		loaded[2 * reg + 1] = pattern(reg, 1);
	}
	fpsimd_load(loaded, TEST_FPCR, TEST_FPSR);

	/* Read back at once: a baseline, and proof the values got into the registers. */
	fpsimd_save(saved, &fpcr, &fpsr);
	check(count_mismatches() == 0, "v0-v31 hold the 32 patterns just loaded");
	check_eq("FPCR as set", fpcr, TEST_FPCR);
	check_eq("FPSR as set", fpsr, TEST_FPSR);

	for (unsigned i = 0; i < EXITS; i++) {
		if (i & 1)
			(void)mmio_read32(boot_info.uart_base + PL011_FR);
		else
			(void)smccc_call(SMCCC_VERSION, 0, 0, 0, NULL);
	}

	fpsimd_save(saved, &fpcr, &fpsr);
	check(count_mismatches() == 0, "v0-v31 unchanged after %u exits (hvc and MMIO)", EXITS);
	check_eq("FPCR after the exits", fpcr, TEST_FPCR);
	check_eq("FPSR after the exits", fpsr, TEST_FPSR);
	test_finish();
}
