/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sve: the VM's own SVE registers and vector length. ID_AA64PFR0_EL1 shows SVE; ZCR_EL1 starts
 * at the VM's length and RDVL says the same (bootarg vl=BITS, the length its configuration
 * gives; 0: the CPU's longest, not checked); a shorter ZCR_EL1 shortens it, a longer one is
 * capped at the VM's (ZCR_EL2). Then rounds until run-ms: Z0-Z31, P0-P15 and FFR get patterns of
 * this VM's seed and the round's, it spins ~20 ms (beside another VM on its CPU, which takes the
 * CPU and its SVE registers meanwhile), and every register must still hold its pattern: on odd
 * rounds v0-v31 are read first, by an FP/SIMD store (the FP trap must bring the SVE state,
 * whose low 128 bits they are), then everything by SVE stores.
 *
 * With bootarg "reset": the first boot ends in PSCI SYSTEM_RESET with its patterns in the
 * registers, and the second boot's first SVE store must find none of them (all zero: kestrel
 * starts a reset vCPU's SVE state from its zeroed FP state).
 */
#include "boot_info.h"
#include "check.h"
#include "fp_regs.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sve_regs.h"
#include "sysreg.h"

#define VL_MAX	   SVE_VL_MAX
#define SPIN_MS	   20u
#define MAX_SHOWN  8u
#define PFR0_SVE   32
#define ZCR_LEN(z) ((z)&0xful)

/* The MMU is off: every access is a Device access, aligned. */
static _Alignas(256) uint8_t want_z[32 * VL_MAX], got_z[32 * VL_MAX];
static _Alignas(256) uint8_t want_p[17 * VL_MAX / 8], got_p[17 * VL_MAX / 8];
static _Alignas(16) uint64_t got_v[64];
static unsigned shown;

static uint64_t counter_ms(void)
{
	return read_sysreg(cntvct_el0) / (read_sysreg(cntfrq_el0) / 1000);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* Every byte of Z and P from the seed and the round; FFR must be monotonic (WRFFR): its
   first n bits set, n from them too. */
static void patterns(uint64_t seed, unsigned round, unsigned vl)
{
	unsigned pl = vl / 8, ffr_bits;

	for (unsigned i = 0; i < 32 * vl; i += 8) {
		uint64_t v = mix64(seed ^ ((uint64_t)round << 40) ^ i);
		for (unsigned b = 0; b < 8; b++)
			want_z[i + b] = (uint8_t)(v >> (8 * b));
	}
	for (unsigned i = 0; i < 16 * pl; i++)
		want_p[i] = (uint8_t)mix64(seed ^ ((uint64_t)round << 40) ^ (0x10000 + i));
	ffr_bits = 1 + (unsigned)(mix64(seed ^ round) % (8 * pl));
	for (unsigned i = 0; i < pl; i++) {
		unsigned set = ffr_bits > 8 * i ? ffr_bits - 8 * i : 0;
		want_p[16 * pl + i] = set >= 8 ? 0xff : (uint8_t)((1u << set) - 1);
	}
}

static unsigned compare(const char *what, const uint8_t *want, const uint8_t *got, unsigned n,
			unsigned size, unsigned round)
{
	unsigned bad = 0;

	for (unsigned r = 0; r < n; r++)
		for (unsigned i = 0; i < size; i++)
			if (want[r * size + i] != got[r * size + i]) {
				if (shown++ < MAX_SHOWN)
					printf(
					    "FAIL - round %u: %s%u byte %u is 0x%02x, not 0x%02x\n",
					    round, what, r, i, got[r * size + i],
					    want[r * size + i]);
				bad++;
				break;
			}
	return bad;
}

/* v0-v31 as an FP/SIMD store reads them: the low 16 bytes of each Z register. */
static unsigned compare_v(unsigned vl, unsigned round)
{
	const uint8_t *v = (const uint8_t *)got_v;
	unsigned bad = 0;

	fp_save(got_v);
	for (unsigned r = 0; r < 32; r++)
		bad += compare("v", want_z + r * vl, v + r * 16, 1, 16, round);
	return bad;
}

int main(const void *dtb)
{
	unsigned bits = (unsigned)bootarg("vl", 0), vl, rounds = 0, bad = 0;
	uint64_t seed = mix64(bootarg("seed", 1)), run_ms = bootarg("run-ms", 1000), start, zcr;
	(void)dtb;

	check(((read_sysreg(id_aa64pfr0_el1) >> PFR0_SVE) & 0xf) >= 1,
	      "ID_AA64PFR0_EL1.SVE shows SVE");
	printf("ID_AA64ZFR0_EL1 = 0x%lx\n", read_sysreg(S3_0_C0_C4_4));
	write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_EL1_ZEN);
	isb();
	if (bootargs_has("reset") && boot_info.boot_count >= 2) {
		unsigned left = 0;
		sve_dump(got_z, got_p); /* the first SVE use of this boot */
		vl = (unsigned)sve_rdvl();
		for (unsigned i = 0; i < 32 * vl; i++)
			left += got_z[i] != 0;
		for (unsigned i = 0; i < 17 * vl / 8; i++)
			left += got_p[i] != 0;
		check(left == 0,
		      "second boot: Z, P and FFR hold nothing of the first (%u bytes set)", left);
		test_finish();
	}
	zcr = sve_zcr_read(); /* the first SVE access: it traps to kestrel once */
	vl = (unsigned)sve_rdvl();
	printf("ZCR_EL1 = 0x%lx, vector length %u bits\n", zcr, vl * 8);
	check(vl >= 16 && vl <= VL_MAX && vl % 16 == 0, "RDVL gives a vector length: %u bytes", vl);
	if (bits) {
		check_eq("vector length (bits)", vl * 8, bits);
		check_eq("ZCR_EL1.LEN at reset: the VM's length", ZCR_LEN(zcr), bits / 128 - 1);
	}
	sve_zcr_write(0);
	check_eq("vector length with ZCR_EL1.LEN = 0 (bytes)", sve_rdvl(), 16);
	sve_zcr_write(0xf);
	check_eq("vector length with ZCR_EL1.LEN = 15: capped at the VM's (bytes)", sve_rdvl(), vl);
	sve_zcr_write(zcr);
	if (vl < 16 || vl > VL_MAX || vl % 16)
		test_finish();

	start = counter_ms();
	do {
		patterns(seed, rounds, vl);
		sve_fill(want_z, want_p);
		uint64_t until = counter_ms() + SPIN_MS;
		while (counter_ms() < until)
			;
		if (rounds & 1)
			bad += compare_v(vl, rounds);
		sve_dump(got_z, got_p);
		bad += compare("z", want_z, got_z, 32, vl, rounds);
		bad += compare("p", want_p, got_p, 16, vl / 8, rounds);
		bad += compare("ffr", want_p + 16 * (vl / 8), got_p + 16 * (vl / 8), 1, vl / 8,
			       rounds);
		rounds++;
	} while (counter_ms() - start < run_ms);
	check_eq("vector length after the rounds (bytes)", sve_rdvl(), vl);
	check_eq("ZCR_EL1 after the rounds", sve_zcr_read(), zcr);
	printf("sve: %u rounds of %u-bit Z0-Z31, P0-P15 and FFR, %u registers changed\n", rounds,
	       vl * 8, bad);
	check(rounds > 0 && bad == 0, "every register kept its pattern in %u rounds", rounds);
	if (bootargs_has("reset") && test_failures() == 0) {
		printf("sve: first boot, resetting with patterns in the registers\n");
		sve_fill(want_z, want_p);
		psci_system_reset();
	}
	test_finish();
}
