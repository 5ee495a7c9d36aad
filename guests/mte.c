/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mte: memory tagging (FEAT_MTE2) as kestrel gives it to a guest (./kestrel run --mte).
 *
 * With "absent" in the bootargs (a machine without tags) the guest must see none:
 * ID_AA64PFR1_EL1.MTE 0 and GCR_EL1 UNDEFINED. Otherwise, on each boot (kestrel,boot-count:
 * an odd one resets at the end, an even one powers off):
 * 1. ID_AA64PFR1_EL1.MTE is 2 or more; an identity map with RAM as Tagged Normal memory, TBI
 *    and synchronous tag checks at EL1. Until its first tag register access the vCPU has no
 *    access to tags (HCR_EL2.ATA clear: whatever another VM left in GCR_EL1 and RGSR_EL1 on
 *    this CPU is out of its reach): IRG gives tag 0, STG does nothing, LDG reads 0, and an
 *    access with a wrong tag is not checked. The first access to GCR_EL1 makes the tag
 *    registers live (kestrel traps it once).
 * 2. Every allocation tag of its RAM is 0 (LDGM): on an odd boot, RAM as kestrel handed it
 *    over (started again from kestrel's console, pages another VM tagged); on an even one,
 *    after the boot before tagged all of it and reset the VM.
 * 3. IRG gives a tag GCR_EL1 does not exclude, STG sets it and LDG reads it back; an access
 *    with the right tag works, one with another tag takes a synchronous tag check fault
 *    (EC 0x25, DFSC 0x11) at its address, none with PSTATE.TCO set; in asynchronous mode the
 *    fault is recorded in TFSR_EL1.TF0, which is still set after ~30 ms of other VMs.
 * 4. Until run-ms= (default 1500) has passed: markers of its own (seed=) in GCR_EL1, RGSR_EL1,
 *    TFSR_EL1 and TFSRE0_EL1, ~30 ms in which the VMs sharing its CPU run, and each must still
 *    hold its marker.
 * 5. It tags all of its RAM (tag 0xa, checks off) and resets (odd boot) or powers off
 *    (even): kestrel must zero those tags before anyone sees the pages again, and its check
 *    of the stopped VM's pages finds none left.
 */
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define GCR_EL1	   S3_0_C1_C0_6
#define RGSR_EL1   S3_0_C1_C0_5
#define TFSR_EL1   S3_0_C5_C6_0
#define TFSRE0_EL1 S3_0_C5_C6_1
#define GMID_EL1   S3_1_C0_C0_4

#define SCTLR_M	       (1ull << 0)
#define SCTLR_C	       (1ull << 2)
#define SCTLR_I	       (1ull << 12)
#define SCTLR_TCF_SYNC (1ull << 40)
#define SCTLR_TCF_ASYN (2ull << 40)
#define SCTLR_TCF_MASK (3ull << 40)
#define SCTLR_ATA      (1ull << 43)
#define TCR_T0SZ_4G    32ull
#define TCR_WALK       ((1ull << 8) | (1ull << 10) | (3ull << 12)) /* WBWA, inner shareable */
#define TCR_EPD1       (1ull << 23)
#define TCR_TBI0       (1ull << 37)
#define MAIR_DEV_TAG   0xf000ull /* 0: Device-nGnRnE, 1: Tagged Normal WB */
#define BLOCK_VALID    1ull
#define BLOCK_AF       (1ull << 10)
#define BLOCK_ISH      (3ull << 8)
#define GIB	       (1ull << 30)
#define DFSC_TAG_SYNC  0x11u
#define TFSR_TF0       1ull
#define FILL_TAG       0xaull
#define TAG_SHIFT      56
#define WAIT_MS	       30u

/* Level 1 of an identity map of the first 4 GiB: 1 GiB blocks. */
static uint64_t l1_table[512] __attribute__((aligned(4096)));
static volatile uint8_t target[64] __attribute__((aligned(64)));

static uint64_t ms(void)
{
	return counter_now() / (counter_freq() / 1000);
}

static uint64_t tag_of(uint64_t p)
{
	return (p >> TAG_SHIFT) & 0xf;
}

static uint64_t with_tag(uint64_t p, uint64_t tag)
{
	return (p & ~(0xfull << TAG_SHIFT)) | tag << TAG_SHIFT;
}

static uint64_t irg(uint64_t p)
{
	__asm__ __volatile__("irg %0, %0" : "+r"(p));
	return p;
}

/* STG: the tag of p's granule (16 bytes) becomes p's tag. */
static void stg(uint64_t p)
{
	__asm__ __volatile__("stg %0, [%0]" : : "r"(p) : "memory");
}

static uint64_t ldg(uint64_t p)
{
	uint64_t r = p;

	__asm__ __volatile__("ldg %0, [%1]" : "+r"(r) : "r"(p) : "memory");
	return tag_of(r);
}

/* LDGM and STGM move the tags of a block of GMID_EL1.BS (log2 words), 4 bits a granule. */
static uint64_t tag_block(void)
{
	return 4ull << field(read_sysreg(GMID_EL1), 0, 4);
}

/* The blocks of [from, to) with some tag not 0. */
static uint64_t tagged_blocks(uint64_t from, uint64_t to)
{
	uint64_t n = 0, block = tag_block();

	for (uint64_t p = from; p < to; p += block) {
		uint64_t tags;
		__asm__ __volatile__("ldgm %0, [%1]" : "=r"(tags) : "r"(p) : "memory");
		n += tags != 0;
	}
	return n;
}

static void tag_all(uint64_t from, uint64_t to, uint64_t tag)
{
	uint64_t block = tag_block(), tags = tag * 0x1111111111111111ull;

	for (uint64_t p = from; p < to; p += block)
		__asm__ __volatile__("stgm %0, [%1]" : : "r"(tags), "r"(p) : "memory");
	dsb_sy();
}

static void set_tcf(uint64_t tcf)
{
	write_sysreg(sctlr_el1, (read_sysreg(sctlr_el1) & ~SCTLR_TCF_MASK) | tcf);
	isb();
}

/* RAM Tagged Normal, everything else below 4 GiB (the UART, the GIC) Device-nGnRnE. */
static void mmu_on(void)
{
	for (uint64_t i = 0; i < 4; i++) {
		bool ram = i * GIB <= boot_info.mem_base && boot_info.mem_base < (i + 1) * GIB;
		l1_table[i] =
		    i * GIB | BLOCK_VALID | BLOCK_AF | (ram ? (1ull << 2) | BLOCK_ISH : 0);
	}
	write_sysreg(mair_el1, MAIR_DEV_TAG);
	write_sysreg(tcr_el1, TCR_T0SZ_4G | TCR_WALK | TCR_EPD1 | TCR_TBI0);
	write_sysreg(ttbr0_el1, (uint64_t)(uintptr_t)l1_table);
	dsb_sy();
	__asm__ __volatile__("tlbi vmalle1\n\tdsb sy" : : : "memory");
	isb();
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_ATA |
				    SCTLR_TCF_SYNC);
	isb();
}

/* Before the vCPU's first tag register access: no tag can be set, read or checked. */
static void no_tags_until_first_use(void)
{
	uint64_t p = (uint64_t)(uintptr_t)target, t = irg(p), v;

	check_eq("before the first tag register access: IRG's tag", tag_of(t), 0);
	stg(with_tag(p, 5));
	check_eq("before the first tag register access: LDG after an STG of tag 5", ldg(p), 0);
	exception_expect(0);
	v = *(volatile uint64_t *)with_tag(p, 6);
	check(exception_expect_end() == 0,
	      "before the first tag register access: no tag check (%lu)", v);
}

static void absent(void)
{
	uint64_t v = 0;

	check_eq("ID_AA64PFR1_EL1.MTE on a machine without tags",
		 field(read_sysreg(id_aa64pfr1_el1), 8, 4), 0);
	exception_expect(0);
	v = read_sysreg(GCR_EL1);
	check(exception_expect_end() == 1 && ESR_EC(last_exception.esr) == EC_UNKNOWN,
	      "GCR_EL1 is UNDEFINED (EC 0x%lx, read 0x%lx)", ESR_EC(last_exception.esr), v);
	test_finish();
}

static void tag_checks(void)
{
	uint64_t p = (uint64_t)(uintptr_t)target, t = irg(p), v;

	check(tag_of(t) != 0, "IRG gives tag %lu, not the tag 0 GCR_EL1 excludes", tag_of(t));
	stg(t);
	stg(t + 16);
	check_eq("LDG reads the tag STG set", ldg(p), tag_of(t));
	*(volatile uint64_t *)t = 42;
	check_eq("an access with the memory's tag works", *(volatile uint64_t *)t, 42);

	exception_expect(0);
	v = *(volatile uint64_t *)with_tag(p, tag_of(t) ^ 1);
	bool faulted = exception_expect_end() == 1;
	check(faulted && ESR_EC(last_exception.esr) == EC_DABT_CUR &&
		  ESR_FSC(last_exception.esr) == DFSC_TAG_SYNC,
	      "an access with another tag: a synchronous tag check fault (ESR 0x%lx)",
	      faulted ? last_exception.esr : 0);
	check(faulted && (last_exception.far & ((1ull << TAG_SHIFT) - 1)) == p,
	      "FAR_EL1 = 0x%lx, the address", last_exception.far);

	__asm__ __volatile__("msr tco, #1" : : : "memory");
	exception_expect(0);
	v = *(volatile uint64_t *)with_tag(p, tag_of(t) ^ 1);
	unsigned taken = exception_expect_end();
	__asm__ __volatile__("msr tco, #0" : : : "memory");
	check(taken == 0 && v == 42, "with PSTATE.TCO set: no check, the value (%lu) read", v);

	write_sysreg(TFSR_EL1, 0);
	set_tcf(SCTLR_TCF_ASYN);
	*(volatile uint64_t *)with_tag(p, tag_of(t) ^ 2) = 7;
	dsb_sy();
	isb();
	set_tcf(SCTLR_TCF_SYNC);
	check_eq("asynchronous mode: TFSR_EL1 records the fault (TF0)", read_sysreg(TFSR_EL1),
		 TFSR_TF0);
	for (uint64_t until = ms() + WAIT_MS; ms() < until;)
		;
	check_eq("TFSR_EL1 after ~30 ms beside other VMs", read_sysreg(TFSR_EL1), TFSR_TF0);
	write_sysreg(TFSR_EL1, 0);
	stg(p);
	stg(p + 16);
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The tag registers keep this VM's markers while others run on its CPU. */
static void residue(uint64_t seed, uint64_t run_ms)
{
	uint64_t rounds = 0, changed = 0, until = ms() + run_ms;

	while (ms() < until) {
		uint64_t m = mix(seed << 32 | rounds), want[4], got[4];
		write_sysreg(GCR_EL1, m & 0x1ffff);	      /* RRND, Exclude */
		write_sysreg(RGSR_EL1, (m >> 17) & 0xffff0f); /* SEED, TAG */
		write_sysreg(TFSR_EL1, (m >> 40) & 3);	      /* TF1, TF0 */
		write_sysreg(TFSRE0_EL1, (m >> 42) & 3);
		isb();
		want[0] = read_sysreg(GCR_EL1), want[1] = read_sysreg(RGSR_EL1);
		want[2] = read_sysreg(TFSR_EL1), want[3] = read_sysreg(TFSRE0_EL1);
		for (uint64_t w = ms() + WAIT_MS; ms() < w;)
			;
		got[0] = read_sysreg(GCR_EL1), got[1] = read_sysreg(RGSR_EL1);
		got[2] = read_sysreg(TFSR_EL1), got[3] = read_sysreg(TFSRE0_EL1);
		for (unsigned i = 0; i < 4; i++)
			if (got[i] != want[i] && changed++ < 4)
				printf("FAIL - tag register %u: 0x%lx, its marker 0x%lx\n", i,
				       got[i], want[i]);
		rounds++;
	}
	check(rounds > 0 && changed == 0,
	      "GCR_EL1, RGSR_EL1, TFSR_EL1, TFSRE0_EL1 kept their markers: %lu rounds, %lu changed",
	      rounds, changed);
	write_sysreg(GCR_EL1, 1); /* Exclude tag 0 */
	write_sysreg(TFSR_EL1, 0);
	write_sysreg(TFSRE0_EL1, 0);
}

int main(const void *dtb)
{
	uint64_t from = boot_info.mem_base, to = from + boot_info.mem_size;
	uint32_t boot = boot_info.boot_count;
	uint64_t mte = field(read_sysreg(id_aa64pfr1_el1), 8, 4);

	(void)dtb;
	if (bootargs_has("absent"))
		absent();
	if (!check(mte >= 2, "ID_AA64PFR1_EL1.MTE = %lu: allocation tags (FEAT_MTE2)", mte) ||
	    !check(boot >= 1, "kestrel,boot-count = %u", boot))
		test_finish();
	mmu_on();
	no_tags_until_first_use();
	write_sysreg(GCR_EL1, 1); /* the first use: Exclude tag 0 from IRG */
	write_sysreg(RGSR_EL1, bootarg("seed", 1) << 8);
	write_sysreg(TFSR_EL1, 0);
	write_sysreg(TFSRE0_EL1, 0);
	isb();
	check_eq("GCR_EL1 reads back", read_sysreg(GCR_EL1), 1);

	uint64_t blocks = tagged_blocks(from, to);
	check(blocks == 0,
	      "boot %u: every tag of the %lu MiB of RAM is 0 (%lu blocks of %lu bytes "
	      "tagged)%s",
	      boot, (to - from) >> 20, blocks, tag_block(),
	      boot % 2 == 0 ? ", after the boot before tagged all of it" : "");
	tag_checks();
	residue(bootarg("seed", 1), bootarg("run-ms", 1500));

	set_tcf(0); /* its own stack and code are tagged too from here on */
	tag_all(from, to, FILL_TAG);
	check_eq("tagged blocks of RAM after tagging all of it", tagged_blocks(from, to),
		 (to - from) / tag_block());
	if (boot % 2 == 1 && test_failures() == 0) {
		printf("mte: boot %u done, resetting with every tag of RAM set\n", boot);
		psci_system_reset();
	}
	test_finish();
}
