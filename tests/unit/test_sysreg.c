/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trapped system registers: the ID register sanitizing rules, field by field, the emulated
 * register table, and sysreg_exit end to end on a vCPU (UNDEFs go through vcpu.c's injection,
 * whose system register accesses land in the fake arch's register file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/pmu.h>
#include <kestrel/sysreg.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

#include "dispatch.h"
#include <arch/fake_arch.h>

/* vcpu.c and sysreg.c call into the vGIC: record what reaches it. */
static struct {
	unsigned sgis;
	uint64_t sgi1r;
	bool group0_only;
	const struct vcpu *from;
} vgic;

void vgic_send_sgi(struct vcpu *vcpu, uint64_t sgi1r, bool group0_only)
{
	vgic.sgis++;
	vgic.sgi1r = sgi1r;
	vgic.group0_only = group0_only;
	vgic.from = vcpu;
}

void vm_lifecycle_request(struct vm *vm, uint32_t req, const char *why)
{
	(void)vm, (void)req, (void)why;
	fail_msg("no guest here faults inside its own vectors");
}

void vgic_lr_load(struct vcpu *vcpu)
{
	(void)vcpu;
}

void vgic_lr_put(struct vcpu *vcpu)
{
	(void)vcpu;
}

/* The PMU's overflow PPI, linked and released with a PMU user's load and put. */
static unsigned pmu_ppi_loads, pmu_ppi_puts;

void vgic_lr_load_linked(struct vcpu *vcpu, unsigned intid)
{
	(void)vcpu;
	assert_int_equal(intid, GUEST_PPI_PMU);
	pmu_ppi_loads++;
}

void vgic_lr_put_linked(struct vcpu *vcpu, unsigned intid)
{
	(void)vcpu;
	assert_int_equal(intid, GUEST_PPI_PMU);
	pmu_ppi_puts++;
}

/* Not in a header: the table lookup is private to sysreg.c, but not static. */
struct sysreg_desc;
const struct sysreg_desc *sysreg_find(uint32_t key);

#define ID_AA64PFR0  SYSREG_KEY(3, 0, 0, 4, 0)
#define ID_AA64PFR1  SYSREG_KEY(3, 0, 0, 4, 1)
#define ID_AA64ZFR0  SYSREG_KEY(3, 0, 0, 4, 4)
#define ID_AA64SMFR0 SYSREG_KEY(3, 0, 0, 4, 5)
#define ID_AA64DFR0  SYSREG_KEY(3, 0, 0, 5, 0)
#define ID_AA64AFR0  SYSREG_KEY(3, 0, 0, 5, 4)
#define ID_AA64ISAR0 SYSREG_KEY(3, 0, 0, 6, 0)
#define ID_AA64ISAR1 SYSREG_KEY(3, 0, 0, 6, 1)
#define ID_AA64ISAR2 SYSREG_KEY(3, 0, 0, 6, 2)
#define ID_AA64MMFR0 SYSREG_KEY(3, 0, 0, 7, 0)
#define ID_AA64MMFR1 SYSREG_KEY(3, 0, 0, 7, 1)
#define ID_AA64MMFR2 SYSREG_KEY(3, 0, 0, 7, 2)
#define ID_AA64MMFR3 SYSREG_KEY(3, 0, 0, 7, 3)
#define ID_PFR0	     SYSREG_KEY(3, 0, 0, 1, 0)
#define ALL_ONES     (~0ull)

static uint64_t nibble(uint64_t v, unsigned i)
{
	return (v >> (4 * i)) & 0xf;
}

/* --- the ID register rules, as the architecture names the fields --- */

enum how { HIDE, KEEP, FIX, OWN }; /* OWN: computed specially, tested on its own */

struct field {
	const char *name;
	enum how how;
	unsigned fixed;
};

struct id_reg {
	uint32_t key;
	const char *name;
	struct field f[16]; /* nibble 0 (bits 3:0) first */
};

static const struct id_reg id_regs[] = {
    {ID_AA64PFR0,
     "ID_AA64PFR0_EL1",
     {{"EL0", FIX, 1},
      {"EL1", FIX, 1},
      {"EL2", HIDE, 0},
      {"EL3", HIDE, 0},
      {"FP", KEEP, 0},
      {"AdvSIMD", KEEP, 0},
      {"GIC", KEEP, 0},
      {"RAS", HIDE, 0},
      {"SVE", KEEP, 0},
      {"SEL2", HIDE, 0},
      {"MPAM", HIDE, 0},
      {"AMU", HIDE, 0},
      {"DIT", KEEP, 0},
      {"RME", HIDE, 0},
      {"CSV2", OWN, 0},
      {"CSV3", KEEP, 0}}},
    {ID_AA64PFR1,
     "ID_AA64PFR1_EL1",
     {{"BT", KEEP, 0},
      {"SSBS", KEEP, 0},
      {"MTE", OWN, 0},
      {"RAS_frac", HIDE, 0},
      {"MPAM_frac", HIDE, 0},
      {"[23:20]", HIDE, 0},
      {"SME", HIDE, 0},
      {"RNDR_trap", HIDE, 0},
      {"CSV2_frac", OWN, 0},
      {"NMI", HIDE, 0},
      {"MTE_frac", OWN, 0},
      {"GCS", HIDE, 0},
      {"THE", HIDE, 0},
      {"MTEX", HIDE, 0},
      {"DF2", HIDE, 0},
      {"PFAR", HIDE, 0}}},
    {ID_AA64ZFR0,
     "ID_AA64ZFR0_EL1",
     {{"SVEver", KEEP, 0},
      {"AES", KEEP, 0},
      {"[11:8]", HIDE, 0},
      {"[15:12]", HIDE, 0},
      {"BitPerm", KEEP, 0},
      {"BF16", KEEP, 0},
      {"B16B16", KEEP, 0},
      {"[31:28]", HIDE, 0},
      {"SHA3", KEEP, 0},
      {"[39:36]", HIDE, 0},
      {"SM4", KEEP, 0},
      {"I8MM", KEEP, 0},
      {"[51:48]", HIDE, 0},
      {"F32MM", KEEP, 0},
      {"F64MM", KEEP, 0},
      {"[63:60]", HIDE, 0}}},
    {ID_AA64DFR0,
     "ID_AA64DFR0_EL1",
     {{"DebugVer", FIX, 6},
      {"TraceVer", FIX, 0},
      {"PMUVer", OWN, 0},
      {"BRPs", KEEP, 0},
      {"PMSS", FIX, 0},
      {"WRPs", KEEP, 0},
      {"SEBEP", FIX, 0},
      {"CTX_CMPs", KEEP, 0},
      {"PMSVer", FIX, 0},
      {"DoubleLock", FIX, 0},
      {"TraceFilt", FIX, 0},
      {"TraceBuffer", FIX, 0},
      {"MTPMU", FIX, 0},
      {"BRBE", FIX, 0},
      {"ExtTrcBuff", FIX, 0},
      {"HPMN0", FIX, 0}}},
    {ID_AA64ISAR0,
     "ID_AA64ISAR0_EL1",
     {{"[3:0]", OWN, 0},
      {"AES", KEEP, 0},
      {"SHA1", KEEP, 0},
      {"SHA2", KEEP, 0},
      {"CRC32", KEEP, 0},
      {"Atomic", KEEP, 0},
      {"TME", HIDE, 0},
      {"RDM", KEEP, 0},
      {"SHA3", KEEP, 0},
      {"SM3", KEEP, 0},
      {"SM4", KEEP, 0},
      {"DP", KEEP, 0},
      {"FHM", KEEP, 0},
      {"TS", KEEP, 0},
      {"TLB", KEEP, 0},
      {"RNDR", KEEP, 0}}},
    {ID_AA64ISAR1,
     "ID_AA64ISAR1_EL1",
     {{"DPB", KEEP, 0},
      {"APA", KEEP, 0},
      {"API", KEEP, 0},
      {"JSCVT", KEEP, 0},
      {"FCMA", KEEP, 0},
      {"LRCPC", KEEP, 0},
      {"GPA", KEEP, 0},
      {"GPI", KEEP, 0},
      {"FRINTTS", KEEP, 0},
      {"SB", KEEP, 0},
      {"SPECRES", KEEP, 0},
      {"BF16", KEEP, 0},
      {"DGH", KEEP, 0},
      {"I8MM", KEEP, 0},
      {"XS", KEEP, 0},
      {"LS64", HIDE, 0}}},
    {ID_AA64ISAR2,
     "ID_AA64ISAR2_EL1",
     {{"WFxT", HIDE, 0},
      {"RPRES", KEEP, 0},
      {"GPA3", KEEP, 0},
      {"APA3", KEEP, 0},
      {"MOPS", HIDE, 0},
      {"BC", KEEP, 0},
      {"PAC_frac", KEEP, 0},
      {"CLRBHB", KEEP, 0},
      {"SYSREG_128", HIDE, 0},
      {"SYSINSTR_128", HIDE, 0},
      {"PRFMSLC", HIDE, 0},
      {"[47:44]", HIDE, 0},
      {"RPRFM", HIDE, 0},
      {"CSSC", HIDE, 0},
      {"LUT", HIDE, 0},
      {"ATS1A", HIDE, 0}}},
    {ID_AA64MMFR0,
     "ID_AA64MMFR0_EL1",
     {{"PARange", OWN, 0},
      {"ASIDBits", KEEP, 0},
      {"BigEnd", KEEP, 0},
      {"SNSMem", HIDE, 0},
      {"BigEndEL0", KEEP, 0},
      {"TGran16", OWN, 0},
      {"TGran64", OWN, 0},
      {"TGran4", OWN, 0},
      {"TGran16_2", HIDE, 0},
      {"TGran64_2", HIDE, 0},
      {"TGran4_2", HIDE, 0},
      {"ExS", HIDE, 0},
      {"[51:48]", HIDE, 0},
      {"[55:52]", HIDE, 0},
      {"FGT", HIDE, 0},
      {"ECV", OWN, 0}}},
    {ID_AA64MMFR1,
     "ID_AA64MMFR1_EL1",
     {{"HAFDBS", KEEP, 0},
      {"VMIDBits", HIDE, 0},
      {"VH", HIDE, 0},
      {"HPDS", KEEP, 0},
      {"LO", HIDE, 0},
      {"PAN", KEEP, 0},
      {"SpecSEI", HIDE, 0},
      {"XNX", HIDE, 0},
      {"TWED", HIDE, 0},
      {"ETS", KEEP, 0},
      {"HCX", HIDE, 0},
      {"AFP", KEEP, 0},
      {"nTLBPA", KEEP, 0},
      {"TIDCP1", HIDE, 0},
      {"CMOW", KEEP, 0},
      {"ECBHB", KEEP, 0}}},
    {ID_AA64MMFR2,
     "ID_AA64MMFR2_EL1",
     {{"CnP", KEEP, 0},
      {"UAO", KEEP, 0},
      {"LSM", HIDE, 0},
      {"IESB", KEEP, 0},
      {"VARange", KEEP, 0},
      {"CCIDX", KEEP, 0},
      {"NV", HIDE, 0},
      {"ST", KEEP, 0},
      {"AT", KEEP, 0},
      {"IDS", HIDE, 0},
      {"FWB", HIDE, 0},
      {"[47:44]", HIDE, 0},
      {"TTL", KEEP, 0},
      {"BBM", KEEP, 0},
      {"EVT", HIDE, 0},
      {"E0PD", KEEP, 0}}},
};

static void every_id_field_is_hidden_kept_or_fixed_as_documented(void **state)
{
	(void)state;
	for (unsigned r = 0; r < ARRAY_SIZE(id_regs); r++) {
		for (uint64_t v = 1; v <= 0xf; v++) {
			uint64_t hw = v * 0x1111111111111111ull;
			uint64_t out = sysreg_id_sanitize(id_regs[r].key, hw, 40);
			for (unsigned i = 0; i < 16; i++) {
				const struct field *f = &id_regs[r].f[i];
				uint64_t want = f->how == KEEP ? v : f->how == FIX ? f->fixed : 0;
				if (f->how == OWN)
					continue;
				if (nibble(out, i) != want)
					fail_msg(
					    "%s.%s: hardware %#llx gives %#llx, expected %#llx",
					    id_regs[r].name, f->name, (unsigned long long)v,
					    (unsigned long long)nibble(out, i),
					    (unsigned long long)want);
			}
		}
	}
}

static void pfr0_all_ones_and_qemu_max(void **state)
{
	(void)state;
	assert_int_equal(sysreg_id_sanitize(ID_AA64PFR0, ALL_ONES, 40), 0xf10f000f0fff0011ull);
	/* EL0/EL1 AArch32 too, EL2, EL3, GICv4.1, RAS 1.1, SVE, SEL2, MPAM, AMU, DIT, CSV2_2:
	   SVE is kept (its registers are switched). */
	assert_int_equal(sysreg_id_sanitize(ID_AA64PFR0, 0x1201111123111112ull, 40),
			 0x1101000103110011ull);
}

/* SCXTNUM_ELx trap (UNDEF): no CSV2 value that has them (2, 3; CSV2_frac 2) is shown. */
static void csv2_never_advertises_scxtnum(void **state)
{
	(void)state;
	for (uint64_t csv2 = 0; csv2 <= 0xf; csv2++)
		assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64PFR0, csv2 << 56, 40), 14),
				 csv2 ? 1 : 0);
	for (uint64_t frac = 0; frac <= 0xf; frac++)
		assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64PFR1, frac << 32, 40), 8),
				 frac ? 1 : 0);
}

/* MTE only with tags in memory (FEAT_MTE2: 2, MTE3: 3), whose registers kestrel switches:
   FEAT_MTE's instructions alone (1: QEMU without mte=on) are not shown, nor MTE_frac then. */
static void mte_is_shown_only_with_allocation_tags(void **state)
{
	(void)state;
	for (uint64_t mte = 0; mte <= 0xf; mte++) {
		uint64_t out = sysreg_id_sanitize(ID_AA64PFR1, mte << 8 | 0xfull << 40, 40);
		assert_int_equal(nibble(out, 2), mte >= 2 ? mte : 0);
		assert_int_equal(nibble(out, 10), mte >= 2 ? 0xf : 0);
	}
}

/* The CPU's own breakpoints, watchpoints and context comparators (switched with the vCPU),
   the OS double lock (emulated), Armv8.0 debug; no PMU, SPE or trace. */
static void dfr0_shows_the_cpus_breakpoints_and_watchpoints_and_nothing_else(void **state)
{
	uint64_t v;

	(void)state;
	v = sysreg_id_sanitize(ID_AA64DFR0, 0x0000000f10305009ull, 48); /* a PMU, SPE, 6 BRPs... */
	assert_int_equal(nibble(v, 0), 6);				/* DebugVer: Armv8.0 */
	assert_int_equal(nibble(v, 2), 0);				/* PMUVer: none */
	assert_int_equal(nibble(v, 3), 5);				/* BRPs: 6 */
	assert_int_equal(nibble(v, 5), 3);				/* WRPs: 4 */
	assert_int_equal(nibble(v, 7), 1);				/* CTX_CMPs: 2 */
	assert_int_equal(nibble(v, 8), 0);				/* PMSVer: no SPE */
	assert_int_equal(nibble(v, 9), 0);	    /* DoubleLock: implemented */
	v = sysreg_id_sanitize(ID_AA64DFR0, 0, 48); /* one of each, the minimum */
	assert_int_equal(v, 0x6);
}

/* The PMU as the hardware has it (its registers are the guest's once used: pmu.c), up to
   PMUv3p7; an IMPLEMENTATION DEFINED one (0xf) is none. */
static void pmuver_is_the_cpus_up_to_v3p7(void **state)
{
	(void)state;
	for (uint64_t ver = 0; ver <= 0xf; ver++)
		assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64DFR0, ver << 8, 40), 2),
				 ver == 0xf ? 0
				 : ver > 7  ? 7
					    : ver);
}

static void isar_registers_hide_tme_and_show_pointer_authentication(void **state)
{
	(void)state;
	assert_int_equal(sysreg_id_sanitize(ID_AA64ISAR0, ALL_ONES, 40), 0xfffffffff0ffffffull);
	assert_int_equal(sysreg_id_sanitize(ID_AA64ISAR1, ALL_ONES, 40), 0x0fffffffffffffffull);
	assert_int_equal(sysreg_id_sanitize(ID_AA64ISAR2, ALL_ONES, 40), 0x00000000fff0fff0ull);
	/* Address and generic PAC (APA 1, GPA 1), LRCPC 2, FCMA, JSCVT, DPB 2: all shown, the
	   keys being switched (pac.c). */
	assert_int_equal(sysreg_id_sanitize(ID_AA64ISAR1, 0x0000000001211012ull, 40),
			 0x0000000001211012ull);
	/* AES+PMULL, SHA1, SHA2-512, CRC32, atomics, TME, RDM: TME goes. */
	assert_int_equal(sysreg_id_sanitize(ID_AA64ISAR0, 0x0000000011212120ull, 40),
			 0x0000000010212120ull);
}

static void mmfr_all_ones(void **state)
{
	(void)state;
	/* TGran16 capped at 1, TGran64 and TGran4 "not implemented" stay, ECV capped at 1. */
	assert_int_equal(sysreg_id_sanitize(ID_AA64MMFR0, ALL_ONES, 40), 0x10000000ff1f0ff2ull);
	assert_int_equal(sysreg_id_sanitize(ID_AA64MMFR1, ALL_ONES, 40), 0xff0ff0f000f0f00full);
	assert_int_equal(sysreg_id_sanitize(ID_AA64MMFR2, ALL_ONES, 40), 0xf0ff000ff0fff0ffull);
}

static void mmfr0_parange_follows_the_ipa_size_not_the_hardware(void **state)
{
	static const struct {
		unsigned ipa_bits, parange;
	} cases[] = {{32, 0}, {36, 1}, {39, 1}, {40, 2}, {42, 3}, {44, 4}, {47, 4}, {48, 5}};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(
		    nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x6, cases[i].ipa_bits), 0),
		    cases[i].parange);
		assert_int_equal(
		    nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x0, cases[i].ipa_bits), 0),
		    cases[i].parange);
	}
}

static void mmfr0_granules_lose_their_52_bit_forms(void **state)
{
	(void)state;
	/* TGran4: 0 (4K) stays 0, 1 (4K with LPA2) becomes 0, 0xf (no 4K) stays 0xf. */
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x0ull << 28, 40), 7), 0);
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x1ull << 28, 40), 7), 0);
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0xfull << 28, 40), 7), 0xf);
	/* TGran16: 0 (no 16K) stays, 1 stays, 2 (16K with 52 bits) becomes 1. */
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x0ull << 20, 40), 5), 0);
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x1ull << 20, 40), 5), 1);
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x2ull << 20, 40), 5), 1);
	/* TGran64: 0 (64K) and 0xf (no 64K) pass. */
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x0ull << 24, 40), 6), 0);
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0xfull << 24, 40), 6), 0xf);
	/* ECV: 2 (with CNTPOFF) becomes 1. */
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x2ull << 60, 40), 15), 1);
	assert_int_equal(nibble(sysreg_id_sanitize(ID_AA64MMFR0, 0x0ull << 60, 40), 15), 0);
}

static void mmfr0_of_a_qemu_max_cpu(void **state)
{
	/* PARange 52 bits, 16-bit ASIDs, BigEnd, SNSMem, TGran16 52-bit, TGran4 LPA2, ExS,
	   FGT, ECV 2. */
	const uint64_t hw = 0x2100100010201126ull;

	(void)state;
	assert_int_equal(sysreg_id_sanitize(ID_AA64MMFR0, hw, 40), 0x1000000000100122ull);
	assert_int_equal(sysreg_id_sanitize(ID_AA64MMFR0, hw, 48), 0x1000000000100125ull);
}

static void unlisted_id_registers_read_as_zero(void **state)
{
	static const uint32_t keys[] = {
	    ID_AA64SMFR0, ID_AA64AFR0, ID_AA64MMFR3, ID_PFR0, SYSREG_KEY(3, 0, 0, 3, 7), 0};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(keys); i++)
		assert_int_equal(sysreg_id_sanitize(keys[i], ALL_ONES, 48), 0);
}

/* --- the emulated register table --- */

#define DBG(crm, op2) SYSREG_KEY(2, 0, 0, crm, op2)

/* Every register the table emulates, by its architectural encoding. */
static const uint32_t emulated[] = {
    SYSREG_KEY(1, 0, 7, 6, 2),	/* DC ISW */
    SYSREG_KEY(1, 0, 7, 10, 2), /* DC CSW */
    SYSREG_KEY(1, 0, 7, 14, 2), /* DC CISW */
    DBG(2, 0),			/* MDCCINT_EL1 */
    DBG(2, 2),			/* MDSCR_EL1 */
    DBG(6, 2),			/* OSECCR_EL1 */
    SYSREG_KEY(2, 0, 1, 0, 0),	/* MDRAR_EL1 */
    SYSREG_KEY(2, 0, 1, 0, 4),	/* OSLAR_EL1 */
    SYSREG_KEY(2, 0, 1, 1, 4),	/* OSLSR_EL1 */
    SYSREG_KEY(2, 0, 1, 3, 4),	/* OSDLR_EL1 */
    SYSREG_KEY(2, 0, 1, 4, 4),	/* DBGPRCR_EL1 */
    SYSREG_KEY(2, 0, 7, 8, 6),	/* DBGCLAIMSET_EL1 */
    SYSREG_KEY(2, 0, 7, 9, 6),	/* DBGCLAIMCLR_EL1 */
    SYSREG_KEY(2, 0, 7, 14, 6), /* DBGAUTHSTATUS_EL1 */
    SYSREG_KEY(2, 3, 0, 1, 0),	/* MDCCSR_EL0 */
    SYSREG_KEY(2, 3, 0, 4, 0),	/* DBGDTR_EL0 */
    SYSREG_KEY(2, 3, 0, 5, 0),	/* DBGDTRRX_EL0 */
    SYSREG_KEY(3, 0, 1, 0, 1),	/* ACTLR_EL1 */
    SYSREG_KEY(3, 0, 1, 0, 5),	/* RGSR_EL1 */
    SYSREG_KEY(3, 0, 1, 0, 6),	/* GCR_EL1 */
    SYSREG_KEY(3, 0, 2, 1, 0),	/* APIAKeyLo_EL1 ... */
    SYSREG_KEY(3, 0, 2, 1, 1),
    SYSREG_KEY(3, 0, 2, 1, 2),
    SYSREG_KEY(3, 0, 2, 1, 3),
    SYSREG_KEY(3, 0, 2, 2, 0),
    SYSREG_KEY(3, 0, 2, 2, 1),
    SYSREG_KEY(3, 0, 2, 2, 2),
    SYSREG_KEY(3, 0, 2, 2, 3),
    SYSREG_KEY(3, 0, 2, 3, 0),
    SYSREG_KEY(3, 0, 2, 3, 1),	 /* ... APGAKeyHi_EL1 */
    SYSREG_KEY(3, 0, 5, 6, 0),	 /* TFSR_EL1 */
    SYSREG_KEY(3, 0, 5, 6, 1),	 /* TFSRE0_EL1 */
    SYSREG_KEY(3, 0, 12, 11, 5), /* ICC_SGI1R_EL1 */
    SYSREG_KEY(3, 0, 12, 11, 6), /* ICC_ASGI1R_EL1 */
    SYSREG_KEY(3, 0, 12, 11, 7), /* ICC_SGI0R_EL1 */
};

static void find_locates_every_emulated_register(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(emulated); i++)
		if (!sysreg_find(emulated[i]))
			fail_msg("key %#x is not found", emulated[i]);
}

static void find_misses_registers_it_does_not_emulate(void **state)
{
	static const uint32_t others[] = {
	    SYSREG_KEY(3, 3, 9, 12, 0), /* PMCR_EL0 */
	    SYSREG_KEY(3, 0, 1, 0, 0),	/* SCTLR_EL1: not trapped at all */
	    DBG(0, 4),			/* DBGBVR0_EL1: numbered, decoded past the table */
	    DBG(15, 7),			/* DBGWCR15_EL1 */
	    SYSREG_KEY(3, 0, 0, 4, 0),	/* ID registers are not in the table */
	    SYSREG_KEY(1, 0, 7, 6, 1),	/* DC IVAC */
	    0,
	    0xffff,
	    /* op1 1 and 2: the AArch32 opc1 of ICC_ASGI1R and ICC_SGI0R, not the AArch64 one */
	    SYSREG_KEY(3, 1, 12, 11, 6),
	    SYSREG_KEY(3, 2, 12, 11, 7),
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(others); i++)
		assert_null(sysreg_find(others[i]));
}

static void table_is_sorted_and_has_nothing_else(void **state)
{
	const struct sysreg_desc *prev = NULL;
	unsigned found = 0;

	(void)state;
	/* Walking every encoding in order (op0, op1, CRn, CRm, op2) must meet the rows in table
	   order, each once. */
	for (uint32_t enc = 0; enc <= 0xffff; enc++) {
		uint32_t key = SYSREG_KEY(enc >> 14, (enc >> 11) & 7, (enc >> 7) & 15,
					  (enc >> 3) & 15, enc & 7);
		const struct sysreg_desc *d = sysreg_find(key);
		if (!d)
			continue;
		assert_true(found < ARRAY_SIZE(emulated));
		assert_int_equal(key, emulated[found]);
		if (prev)
			assert_true(d > prev);
		prev = d;
		found++;
	}
	assert_int_equal(found, ARRAY_SIZE(emulated));
}

/* --- sysreg_exit on a vCPU --- */

#define VBAR	 0x40000800ull
#define PC	 0x40080000ull
#define EL1H	 0x3c5 /* EL1h with DAIF masked */
#define UNDEF_PC (VBAR + 0x200)

static struct vcpu vcpu;

static uint64_t sys_esr(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
			unsigned rt, bool read)
{
	return ((uint64_t)EC_SYS64 << 26) | ESR_IL | ((uint64_t)op0 << 20) | ((uint64_t)op2 << 17) |
	       ((uint64_t)op1 << 14) | ((uint64_t)crn << 10) | ((uint64_t)rt << 5) |
	       ((uint64_t)crm << 1) | read;
}

static uint64_t key_esr(uint32_t key, unsigned rt, bool read)
{
	return sys_esr((key >> 20) & 3, (key >> 14) & 7, (key >> 10) & 0xf, SYSREG_KEY_CRM(key),
		       SYSREG_KEY_OP2(key), rt, read);
}

static const struct {
	uint32_t key;
	uint64_t hw;
} hw_ids[] = {
    {ID_AA64PFR0, 0x1201111123111112ull},  {ID_AA64PFR1, 0x0000000000000121ull},
    {ID_AA64DFR0, 0x0000000f10305009ull},  {ID_AA64ISAR0, 0x0221100110212120ull},
    {ID_AA64ISAR1, 0x0000000001211012ull}, {ID_AA64ISAR2, 0x0000000000010001ull},
    {ID_AA64MMFR0, 0x2100100010201126ull}, {ID_AA64MMFR1, 0x1000000010212122ull},
    {ID_AA64MMFR2, 0x1221011110101011ull},
};

static int new_vcpu(void **state)
{
	(void)state;
	fake_arch_reset();
	memset(&vgic, 0, sizeof(vgic));
	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.regs.pc = PC;
	vcpu.regs.pstate = EL1H;
	fake_cpu()->el1.vbar = VBAR;
	fake_cpu()->el1.sctlr = BIT(23); /* SPAN: no PAN on exception entry */
	hyp.has_pmu = false;
	hyp.pmu_counters = 0;
	vcpu.mdcr = MDCR_TPM | MDCR_TPMCR | MDCR_TDA;
	for (unsigned i = 0; i < ARRAY_SIZE(hw_ids); i++)
		fake_arch.id_regs[ARCH_ID(SYSREG_KEY_CRM(hw_ids[i].key),
					  SYSREG_KEY_OP2(hw_ids[i].key))] = hw_ids[i].hw;
	sysreg_init_id_values(40);
	hyp.debug_brps = 6; /* as hw_ids' ID_AA64DFR0_EL1 says */
	hyp.debug_wrps = 4;
	return 0;
}

static void expect_undef(uint64_t faulting_pc, uint64_t undefs)
{
	assert_int_equal(vcpu.regs.pc, UNDEF_PC);
	assert_int_equal(fake_cpu()->el1.elr, faulting_pc);
	assert_int_equal(fake_cpu()->el1.spsr, EL1H);
	assert_int_equal(fake_cpu()->el1.esr, ESR_IL); /* EC 0: unknown reason */
	assert_int_equal(vcpu.stats[STAT_UNDEF_INJECTED], undefs);
}

static void trap(uint64_t esr)
{
	fake_cpu()->exit_esr = esr; /* ESR_EL2, which the table's miss path reads again */
	run_exit(sysreg_exit, &vcpu, esr);
}

/* Runs the access at PC; returns true when it completed (PC stepped), false on UNDEF. */
static bool access(uint32_t key, unsigned rt, bool read)
{
	vcpu.regs.pc = PC;
	trap(key_esr(key, rt, read));
	if (vcpu.regs.pc == PC + 4)
		return true;
	assert_int_equal(vcpu.regs.pc, UNDEF_PC);
	return false;
}

static void mrs_of_each_id_register_reads_the_sanitized_value(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(hw_ids); i++) {
		vcpu.regs.x[4] = 0xdeadbeef;
		assert_true(access(hw_ids[i].key, 4, true));
		assert_int_equal(vcpu.regs.x[4],
				 sysreg_id_sanitize(hw_ids[i].key, hw_ids[i].hw, 40));
	}
	assert_int_equal(vcpu.stats[STAT_UNDEF_INJECTED], 0);
}

static void mrs_id_aa64mmfr0_reports_the_ipa_size_chosen_at_boot(void **state)
{
	(void)state;
	assert_true(access(ID_AA64MMFR0, 0, true));
	assert_int_equal(nibble(vcpu.regs.x[0], 0), 2);
	sysreg_init_id_values(48);
	assert_true(access(ID_AA64MMFR0, 0, true));
	assert_int_equal(nibble(vcpu.regs.x[0], 0), 5);
}

static void mrs_of_an_unimplemented_id_register_reads_zero(void **state)
{
	(void)state;
	fake_arch.id_regs[ARCH_ID(4, 5)] = ALL_ONES; /* the CPU has SME */
	sysreg_init_id_values(40);
	vcpu.regs.x[2] = 7;
	assert_true(access(ID_AA64SMFR0, 2, true));
	assert_int_equal(vcpu.regs.x[2], 0);
	vcpu.regs.x[2] = 7;
	assert_true(access(ID_PFR0, 2, true));
	assert_int_equal(vcpu.regs.x[2], 0);
}

static void msr_to_an_id_register_is_undefined(void **state)
{
	(void)state;
	vcpu.regs.x[1] = 0x1234;
	assert_false(access(ID_AA64PFR0, 1, false));
	expect_undef(PC, 1);
	assert_int_equal(vcpu.regs.x[1], 0x1234);
}

static void mrs_into_xzr_discards_the_value(void **state)
{
	uint64_t before[31];

	(void)state;
	for (unsigned i = 0; i < 31; i++)
		vcpu.regs.x[i] = 0x100 + i;
	memcpy(before, vcpu.regs.x, sizeof(before));
	assert_true(access(ID_AA64PFR0, 31, true));
	assert_memory_equal(vcpu.regs.x, before, sizeof(before));
}

/* Under the OS lock the debug registers are storage: no access makes them live, each keeps
   its own value, and the numbered ones exist up to the CPU's counts (6 and 4 here). */
static void locked_debug_registers_are_stored_per_vcpu(void **state)
{
	static const uint32_t stored[] = {DBG(0, 4), DBG(0, 5), DBG(0, 6), DBG(0, 7), DBG(5, 4),
					  DBG(5, 5), DBG(3, 6), DBG(3, 7), DBG(2, 2), DBG(2, 0)};
	static const uint32_t absent[] = {DBG(6, 4), DBG(6, 5), DBG(4, 6), DBG(4, 7), DBG(15, 4)};

	(void)state;
	vcpu.dbg.oslsr = OSLSR_OSLM | OSLSR_OSLK;
	for (unsigned i = 0; i < ARRAY_SIZE(stored); i++) {
		vcpu.regs.x[5] = 0xabc000 + i;
		assert_true(access(stored[i], 5, false));
	}
	/* Each register kept its own value: none shares storage with another. */
	for (unsigned i = 0; i < ARRAY_SIZE(stored); i++) {
		vcpu.regs.x[6] = 0;
		assert_true(access(stored[i], 6, true));
		assert_int_equal(vcpu.regs.x[6], 0xabc000 + i);
	}
	assert_int_equal(vcpu.dbg.bvr[5], 0xabc004);
	assert_int_equal(vcpu.dbg.wcr[3], 0xabc007);
	assert_int_equal(vcpu.dbg.mdscr, 0xabc008);
	assert_int_equal(vcpu.dbg.mdccint, 0xabc009);
	assert_false((vcpu.lazy & LAZY_DEBUG));
	/* MSR from xzr stores zero. */
	assert_true(access(DBG(2, 2), 31, false));
	assert_int_equal(vcpu.dbg.mdscr, 0);
	/* Beyond the counts: UNDEF, locked or not. */
	for (unsigned i = 0; i < ARRAY_SIZE(absent); i++)
		assert_false(access(absent[i], 5, i & 1));
	vcpu.dbg.oslsr = OSLSR_OSLM;
	assert_false(access(DBG(6, 4), 5, true));
	assert_false((vcpu.lazy & LAZY_DEBUG));
	assert_int_equal(vcpu.stats[STAT_UNDEF_INJECTED], ARRAY_SIZE(absent) + 1);
}

/* OSLAR_EL1 sets and clears OSLSR_EL1.OSLK (OSLM 0b10 always); OSDLR_EL1.DLK and
   DBGPRCR_EL1.CORENPDRQ are single bits. */
static void os_lock_is_reflected_in_oslsr(void **state)
{
	(void)state;
	vcpu.regs.x[0] = 1;
	assert_true(access(SYSREG_KEY(2, 0, 1, 0, 4), 0, false)); /* OSLAR_EL1 = 1 */
	assert_true(access(SYSREG_KEY(2, 0, 1, 1, 4), 3, true));
	assert_int_equal(vcpu.regs.x[3], 0xa); /* OSLM 0b10, OSLK set */
	vcpu.regs.x[0] = 0;
	assert_true(access(SYSREG_KEY(2, 0, 1, 0, 4), 0, false));
	assert_true(access(SYSREG_KEY(2, 0, 1, 1, 4), 3, true));
	assert_int_equal(vcpu.regs.x[3], 0x8);
	/* OSLAR is write-only, OSLSR read-only. */
	assert_false(access(SYSREG_KEY(2, 0, 1, 0, 4), 3, true));
	assert_false(access(SYSREG_KEY(2, 0, 1, 1, 4), 3, false));
	assert_int_equal(vcpu.stats[STAT_UNDEF_INJECTED], 2);
	vcpu.regs.x[0] = ALL_ONES;
	assert_true(access(SYSREG_KEY(2, 0, 1, 3, 4), 0, false)); /* OSDLR_EL1 */
	assert_true(access(SYSREG_KEY(2, 0, 1, 3, 4), 3, true));
	assert_int_equal(vcpu.regs.x[3], 1);
	assert_true(access(SYSREG_KEY(2, 0, 1, 4, 4), 0, false)); /* DBGPRCR_EL1 */
	assert_true(access(SYSREG_KEY(2, 0, 1, 4, 4), 3, true));
	assert_int_equal(vcpu.regs.x[3], 1);
}

/* The claim tags under the lock: DBGCLAIMSET reads as 8 implemented tags and sets, DBGCLAIMCLR
   reads the tags and clears. */
static void claim_tags_set_clear_and_read_back(void **state)
{
	(void)state;
	vcpu.dbg.oslsr = OSLSR_OSLM | OSLSR_OSLK;
	vcpu.regs.x[1] = 0x1a5;
	assert_true(access(SYSREG_KEY(2, 0, 7, 8, 6), 1, false));
	assert_true(access(SYSREG_KEY(2, 0, 7, 8, 6), 2, true));
	assert_int_equal(vcpu.regs.x[2], 0xff);
	assert_true(access(SYSREG_KEY(2, 0, 7, 9, 6), 2, true));
	assert_int_equal(vcpu.regs.x[2], 0xa5);
	vcpu.regs.x[1] = 0x21;
	assert_true(access(SYSREG_KEY(2, 0, 7, 9, 6), 1, false));
	assert_true(access(SYSREG_KEY(2, 0, 7, 9, 6), 2, true));
	assert_int_equal(vcpu.regs.x[2], 0x84);
}

static void raz_wi_registers_ignore_writes(void **state)
{
	static const uint32_t raz_wi[] = {DBG(6, 2), SYSREG_KEY(2, 3, 0, 4, 0),
					  SYSREG_KEY(2, 3, 0, 5, 0), SYSREG_KEY(3, 0, 1, 0, 1)};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(raz_wi); i++) {
		vcpu.regs.x[9] = ALL_ONES;
		assert_true(access(raz_wi[i], 9, false));
		assert_true(access(raz_wi[i], 9, true));
		assert_int_equal(vcpu.regs.x[9], 0);
	}
}

static void read_only_registers_read_zero_and_refuse_writes(void **state)
{
	static const uint32_t ro[] = {SYSREG_KEY(2, 0, 1, 0, 0), SYSREG_KEY(2, 0, 7, 14, 6),
				      SYSREG_KEY(2, 3, 0, 1, 0)};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ro); i++) {
		vcpu.regs.x[9] = ALL_ONES;
		assert_true(access(ro[i], 9, true));
		assert_int_equal(vcpu.regs.x[9], 0);
		vcpu.regs.x[9] = ALL_ONES;
		assert_false(access(ro[i], 9, false));
		assert_int_equal(vcpu.regs.x[9], ALL_ONES);
	}
}

static void set_way_maintenance_is_always_clean_and_invalidate(void **state)
{
	static const uint32_t ops[] = {SYSREG_KEY(1, 0, 7, 6, 2), SYSREG_KEY(1, 0, 7, 10, 2),
				       SYSREG_KEY(1, 0, 7, 14, 2)};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ops); i++) {
		vcpu.regs.x[12] = 0x80000042 + i;
		assert_true(access(ops[i], 12, false));
		assert_int_equal(fake_arch.ncisw, i + 1);
		assert_int_equal(fake_arch.cisw[i], 0x80000042 + i);
	}
	/* The read form (SYSL) is not an operation. */
	assert_false(access(ops[0], 12, true));
	assert_int_equal(fake_arch.ncisw, 3);
}

static void sgi_generation_registers_go_to_the_vgic(void **state)
{
	static const uint32_t sgi[] = {SYSREG_KEY(3, 0, 12, 11, 5), SYSREG_KEY(3, 0, 12, 11, 6),
				       SYSREG_KEY(3, 0, 12, 11, 7)};
	/* SGI1R may generate either group; ASGI1R and SGI0R Group 0 only. */
	static const bool group0_only[] = {false, true, true};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(sgi); i++) {
		/* SGI 3 to the vCPU with Aff0 1 (target list bit 1). */
		vcpu.regs.x[8] = (3ull << 24) | 0x2 | i;
		assert_true(access(sgi[i], 8, false));
		assert_int_equal(vgic.sgis, i + 1);
		assert_int_equal(vgic.sgi1r, (3ull << 24) | 0x2 | i);
		assert_int_equal(vgic.group0_only, group0_only[i]);
		assert_ptr_equal(vgic.from, &vcpu);
		/* Write-only. */
		assert_false(access(sgi[i], 8, true));
	}
	assert_int_equal(vgic.sgis, 3);
}

static void unknown_registers_are_undefined_and_leave_rt_alone(void **state)
{
	(void)state;
	vcpu.regs.x[7] = 0x77;
	assert_false(access(SYSREG_KEY(3, 3, 9, 12, 0), 7, true)); /* MRS x7, PMCR_EL0 */
	expect_undef(PC, 1);
	assert_int_equal(vcpu.regs.x[7], 0x77);
	assert_false(access(SYSREG_KEY(3, 3, 9, 12, 0), 7, false));
	assert_false(access(SYSREG_KEY(3, 0, 0, 8, 0), 7, true)); /* CRm 8: not ID space */
	assert_int_equal(vcpu.stats[STAT_UNDEF_INJECTED], 3);
}

/* Pointer authentication starts trapped (HCR_EL2.API/APK clear): the first key register
   access, or the first PAC instruction (EC 0x09), puts the vCPU's keys in the registers and
   stops trapping it; the access runs again (PC unchanged), nothing is emulated. */
static void a_first_pac_use_makes_the_keys_live_and_runs_again(void **state)
{
	(void)state;
	hyp.has_pac = true;
	vcpu.pac_keys[0] = 0x1111;
	vcpu.pac_keys[9] = 0x9999;
	vcpu.regs.x[3] = 0x33;
	trap(key_esr(SYSREG_KEY(3, 0, 2, 3, 1), 3, true)); /* MRS x3, APGAKeyHi_EL1 */
	assert_int_equal(vcpu.regs.pc, PC);
	assert_int_equal(vcpu.regs.x[3], 0x33);
	assert_true(vcpu.lazy & LAZY_PAC);
	assert_true((vcpu.hcr & (HCR_API | HCR_APK)) == (HCR_API | HCR_APK));
	assert_int_equal(fake_cpu()->hcr, vcpu.hcr);
	assert_int_equal(fake_cpu()->pac_keys[0], 0x1111);
	assert_int_equal(fake_cpu()->pac_keys[9], 0x9999);
	/* A PAC instruction's trap: the same, and the keys are not loaded over what the guest
	   has set since. */
	fake_cpu()->pac_keys[0] = 0xabcd;
	run_exit(pac_exit, &vcpu, (uint64_t)EC_PAC << 26 | ESR_IL);
	assert_int_equal(vcpu.regs.pc, PC);
	assert_int_equal(fake_cpu()->pac_keys[0], 0xabcd);
	assert_int_equal(vcpu.stats[STAT_UNDEF_INJECTED], 0);
}

/* Keys live for a vCPU that used them are saved with its context and come back at its next
   load; a vCPU that never used them leaves the registers alone (they trap for it) and does
   not get the other's keys saved as its own. */
static void live_keys_follow_their_vcpu_and_no_other(void **state)
{
	static struct vcpu other;

	(void)state;
	hyp.has_pac = true;
	fake_arch.pcpus = NULL;
	arch_vcpu_load(&vcpu);
	run_exit(pac_exit, &vcpu, (uint64_t)EC_PAC << 26 | ESR_IL);
	fake_cpu()->pac_keys[4] = 0xdada; /* the guest sets APDAKeyLo_EL1 */
	arch_vcpu_put(&vcpu);
	assert_int_equal(vcpu.pac_keys[4], 0xdada);
	memset(&other, 0, sizeof(other));
	other.vm = vcpu.vm;
	arch_vcpu_load(&other);
	assert_int_equal(fake_cpu()->hcr & (HCR_API | HCR_APK), 0); /* it traps */
	arch_vcpu_put(&other);
	assert_int_equal(other.pac_keys[4], 0);
	fake_cpu()->pac_keys[4] = 0;
	arch_vcpu_load(&vcpu);
	assert_int_equal(fake_cpu()->pac_keys[4], 0xdada);
	assert_true((fake_cpu()->hcr & (HCR_API | HCR_APK)) == (HCR_API | HCR_APK));
	arch_vcpu_put(&vcpu);
}

/* On a CPU without it, kestrel's ID registers say none: an access is an UNDEF, as there. */
static void without_pac_its_traps_are_undefined(void **state)
{
	(void)state;
	hyp.has_pac = false;
	assert_false(access(SYSREG_KEY(3, 0, 2, 1, 0), 3, false));
	expect_undef(PC, 1);
	assert_false(vcpu.lazy & LAZY_PAC);
	assert_int_equal(vcpu.hcr & (HCR_API | HCR_APK), 0);
}

/* MTE starts trapped too (HCR_EL2.ATA clear): the first access to a tag register loads the
   vCPU's four, sets ATA and runs again; from then on they follow the vCPU and no other. */
static void a_first_tag_register_access_makes_mte_live_and_runs_again(void **state)
{
	static struct vcpu other;

	(void)state;
	hyp.has_mte = true;
	fake_arch.pcpus = NULL;
	vcpu.mte_regs[0] = 0x1;		 /* GCR_EL1 */
	vcpu.mte_regs[3] = 0x2;		 /* TFSRE0_EL1 */
	fake_cpu()->mte_regs[1] = 0xbad; /* RGSR_EL1, as another vCPU left it */
	arch_vcpu_load(&vcpu);
	assert_int_equal(fake_cpu()->hcr & HCR_ATA, 0);
	vcpu.regs.x[5] = 0x55;
	trap(key_esr(SYSREG_KEY(3, 0, 1, 0, 6), 5, true)); /* MRS x5, GCR_EL1 */
	assert_int_equal(vcpu.regs.pc, PC);
	assert_int_equal(vcpu.regs.x[5], 0x55);
	assert_true(vcpu.lazy & LAZY_MTE);
	assert_false(vcpu.lazy & LAZY_PAC);
	assert_int_equal(vcpu.hcr & HCR_ATA, HCR_ATA);
	assert_int_equal(fake_cpu()->hcr, vcpu.hcr);
	assert_int_equal(fake_cpu()->mte_regs[0], 0x1);
	assert_int_equal(fake_cpu()->mte_regs[1], 0);
	assert_int_equal(fake_cpu()->mte_regs[3], 0x2);
	fake_cpu()->mte_regs[1] = 0x1234; /* the guest seeds IRG */
	arch_vcpu_put(&vcpu);
	assert_int_equal(vcpu.mte_regs[1], 0x1234);
	memset(&other, 0, sizeof(other));
	other.vm = vcpu.vm;
	arch_vcpu_load(&other);
	assert_int_equal(fake_cpu()->hcr & HCR_ATA, 0); /* it traps, and sees no tags */
	arch_vcpu_put(&other);
	assert_int_equal(other.mte_regs[1], 0);
	fake_cpu()->mte_regs[1] = 0;
	arch_vcpu_load(&vcpu);
	assert_int_equal(fake_cpu()->mte_regs[1], 0x1234);
	assert_int_equal(fake_cpu()->hcr & HCR_ATA, HCR_ATA);
	arch_vcpu_put(&vcpu);
	/* A reset traps it again, with zero registers. */
	vcpu_reset(&vcpu, PC, 0);
	assert_int_equal(vcpu.lazy, 0);
	assert_int_equal(vcpu.hcr & HCR_ATA, 0);
	assert_int_equal(vcpu.mte_regs[1], 0);
	assert_int_equal(vcpu.stats[STAT_UNDEF_INJECTED], 0);
}

/* Without tags in memory, kestrel's ID registers say no MTE: the tag registers are UNDEFINED. */
static void without_mte_its_registers_are_undefined(void **state)
{
	(void)state;
	hyp.has_mte = false;
	assert_false(access(SYSREG_KEY(3, 0, 5, 6, 0), 3, false)); /* MSR TFSR_EL1, x3 */
	expect_undef(PC, 1);
	assert_false(vcpu.lazy & LAZY_MTE);
	assert_int_equal(vcpu.hcr & HCR_ATA, 0);
}

/* --- the PMU: trapped until a vCPU's first use, then the guest's own --- */

#define PMCR_EL0       SYSREG_KEY(3, 3, 9, 12, 0)
#define PMCCNTR_EL0    SYSREG_KEY(3, 3, 9, 13, 0)
#define PMINTENSET_EL1 SYSREG_KEY(3, 0, 9, 14, 1)

static void use_the_pmu_of(unsigned counters)
{
	hyp.has_pmu = true;
	hyp.pmu_counters = counters;
	fake_arch.id_regs[ARCH_ID_AA64DFR0] = 0x6ull << 8; /* PMUv3p5 */
	sysreg_init_id_values(40);
}

/* Every register MDCR_EL2.TPM traps, and none beside them (pmu.h). */
static void pmu_registers_are_the_ones_tpm_traps(void **state)
{
	static const uint32_t pmu[] = {
	    PMCR_EL0,
	    SYSREG_KEY(3, 3, 9, 12, 1), /* PMCNTENSET_EL0 */
	    SYSREG_KEY(3, 3, 9, 12, 2),
	    SYSREG_KEY(3, 3, 9, 12, 3), /* PMCNTENCLR, PMOVSCLR */
	    SYSREG_KEY(3, 3, 9, 12, 4),
	    SYSREG_KEY(3, 3, 9, 12, 5), /* PMSWINC, PMSELR */
	    SYSREG_KEY(3, 3, 9, 12, 6),
	    SYSREG_KEY(3, 3, 9, 12, 7), /* PMCEID0, PMCEID1 */
	    PMCCNTR_EL0,
	    SYSREG_KEY(3, 3, 9, 13, 1), /* PMXEVTYPER_EL0 */
	    SYSREG_KEY(3, 3, 9, 13, 2),
	    SYSREG_KEY(3, 3, 9, 14, 0), /* PMXEVCNTR, PMUSERENR */
	    SYSREG_KEY(3, 3, 9, 14, 3),
	    PMINTENSET_EL1, /* PMOVSSET */
	    SYSREG_KEY(3, 0, 9, 14, 2),
	    SYSREG_KEY(3, 0, 9, 14, 6), /* PMINTENCLR, PMMIR */
	    SYSREG_KEY(3, 3, 14, 8, 0),
	    SYSREG_KEY(3, 3, 14, 11, 6), /* PMEVCNTR0, 30 */
	    SYSREG_KEY(3, 3, 14, 12, 0),
	    SYSREG_KEY(3, 3, 14, 15, 7), /* PMEVTYPER0, PMCCFILTR */
	};
	static const uint32_t others[] = {
	    SYSREG_KEY(3, 3, 9, 13, 3), SYSREG_KEY(3, 3, 9, 14, 1), /* neighbours */
	    SYSREG_KEY(3, 0, 9, 14, 0), SYSREG_KEY(3, 0, 9, 14, 3),
	    SYSREG_KEY(3, 3, 9, 4, 0),	SYSREG_KEY(3, 3, 9, 6, 0),  /* PMICNTR, PMICFILTR */
	    SYSREG_KEY(3, 3, 14, 3, 1), SYSREG_KEY(3, 3, 14, 0, 2), /* CNTV_CTL, CNTVCT */
	    SYSREG_KEY(3, 4, 9, 12, 0), SYSREG_KEY(2, 3, 9, 12, 0), /* other op1, op0 */
	    SYSREG_KEY(3, 0, 9, 9, 0),	SYSREG_KEY(3, 0, 9, 10, 0), /* SPE, TRBE */
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(pmu); i++)
		assert_true(pmu_is_reg(pmu[i]));
	for (unsigned i = 0; i < ARRAY_SIZE(others); i++)
		assert_false(pmu_is_reg(others[i]));
}

/* The first access to a PMU register loads the vCPU's PMU state and stops trapping it
   (MDCR_EL2.TPM and TPMCR clear, on the CPU at once); the access runs again (PC unchanged),
   nothing is emulated. A PMU register that still traps after that is not the CPU's: UNDEF. */
static void a_first_pmu_use_makes_its_state_live_and_runs_again(void **state)
{
	(void)state;
	use_the_pmu_of(6);
	vcpu.pmu.evcntr[5] = 0x5555;
	vcpu.pmu.ccntr = 0xcccc;
	vcpu.regs.x[3] = 0x33;
	trap(key_esr(PMCCNTR_EL0, 3, true)); /* MRS x3, PMCCNTR_EL0 */
	assert_int_equal(vcpu.regs.pc, PC);
	assert_int_equal(vcpu.regs.x[3], 0x33);
	assert_true(vcpu.lazy & LAZY_PMU);
	assert_int_equal(vcpu.mdcr & (MDCR_TPM | MDCR_TPMCR), 0);
	assert_int_equal(vcpu.mdcr & MDCR_TDA, MDCR_TDA); /* the debug traps stay */
	assert_int_equal(fake_cpu()->mdcr, vcpu.mdcr);
	assert_int_equal(fake_cpu()->pmu.evcntr[5], 0x5555);
	assert_int_equal(fake_cpu()->pmu.ccntr, 0xcccc);
	assert_int_equal(vcpu.stats[STAT_UNDEF_INJECTED], 0);
	assert_false(access(SYSREG_KEY(3, 3, 14, 11, 6), 3, true)); /* PMEVCNTR30: not here */
	expect_undef(PC, 1);
	/* The ID register says so too. */
	assert_true(access(ID_AA64DFR0, 4, true));
	assert_int_equal(nibble(vcpu.regs.x[4], 2), 6);
}

/* A live PMU is saved with its vCPU, which stops it (PMCR_EL0.E clear: nothing counts, no
   overflow interrupt) and closes EL0's access, and comes back at its next load; a vCPU that
   never used it leaves the registers alone (they trap for it: MDCR_EL2.TPM) and does not get
   the other's counts saved as its own. */
static void live_pmu_follows_its_vcpu_and_no_other(void **state)
{
	static struct vcpu other;

	(void)state;
	use_the_pmu_of(6);
	fake_arch.pcpus = NULL;
	pmu_ppi_loads = pmu_ppi_puts = 0;
	arch_vcpu_load(&vcpu);
	trap(key_esr(PMINTENSET_EL1, 2, false)); /* the first use: runs again */
	assert_int_equal(vcpu.regs.pc, PC);
	fake_cpu()->pmu.pmcr = PMCR_E; /* the guest counts, with an overflow pending */
	fake_cpu()->pmu.ccntr = 0xdada;
	fake_cpu()->pmu.evcntr[2] = 0x2222;
	fake_cpu()->pmu.inten = fake_cpu()->pmu.ovs = BIT(2);
	fake_cpu()->pmu.userenr = 1;
	assert_true(pmu_live_level());
	arch_vcpu_put(&vcpu);
	assert_int_equal(vcpu.pmu.ccntr, 0xdada);
	assert_int_equal(vcpu.pmu.evcntr[2], 0x2222);
	assert_true(pmu_level(&vcpu.pmu));
	assert_int_equal(fake_cpu()->pmu.pmcr & PMCR_E, 0);
	assert_int_equal(fake_cpu()->pmu.userenr, 0);
	assert_false(pmu_live_level());

	memset(&other, 0, sizeof(other));
	other.vm = vcpu.vm;
	other.mdcr = MDCR_TPM | MDCR_TPMCR;
	arch_vcpu_load(&other);
	assert_int_equal(fake_cpu()->mdcr & (MDCR_TPM | MDCR_TPMCR), MDCR_TPM | MDCR_TPMCR);
	fake_cpu()->pmu.ccntr = 0x0bad; /* whatever the registers hold, it is not other's */
	arch_vcpu_put(&other);
	assert_int_equal(other.pmu.ccntr, 0);
	assert_false(other.lazy & LAZY_PMU);

	arch_vcpu_load(&vcpu);
	assert_int_equal(fake_cpu()->mdcr & (MDCR_TPM | MDCR_TPMCR), 0);
	assert_int_equal(fake_cpu()->pmu.ccntr, 0xdada);
	assert_int_equal(fake_cpu()->pmu.evcntr[2], 0x2222);
	assert_int_equal(fake_cpu()->pmu.pmcr, PMCR_E);
	assert_true(pmu_live_level());
	arch_vcpu_put(&vcpu);
	/* The overflow PPI went with the PMU user's loads and puts only (not other's). */
	assert_int_equal(pmu_ppi_loads, 1);
	assert_int_equal(pmu_ppi_puts, 2);
}

/* A reset (CPU_ON, a VM restart) traps the PMU again, with zero state. */
static void a_reset_traps_the_pmu_again(void **state)
{
	(void)state;
	use_the_pmu_of(6);
	trap(key_esr(PMCR_EL0, 1, true));
	assert_true(vcpu.lazy & LAZY_PMU);
	vcpu.pmu.ccntr = 0x1234;
	vcpu_reset(&vcpu, PC, 0);
	assert_false(vcpu.lazy & LAZY_PMU);
	assert_int_equal(vcpu.pmu.ccntr, 0);
	assert_int_equal(vcpu.mdcr & (MDCR_TPM | MDCR_TPMCR), MDCR_TPM | MDCR_TPMCR);
}

/* A PMU kestrel keeps from guests: its ID field reads 0 and every access is an UNDEF. */
static void without_the_pmu_its_traps_are_undefined(void **state)
{
	(void)state;
	hyp.has_pmu = false;
	fake_arch.id_regs[ARCH_ID_AA64DFR0] = 0x6ull << 8;
	sysreg_init_id_values(40);
	assert_true(access(ID_AA64DFR0, 4, true));
	assert_int_equal(nibble(vcpu.regs.x[4], 2), 0);
	assert_false(access(PMCR_EL0, 3, true));
	expect_undef(PC, 1);
	assert_false(vcpu.lazy & LAZY_PMU);
	assert_int_equal(vcpu.mdcr & (MDCR_TPM | MDCR_TPMCR), MDCR_TPM | MDCR_TPMCR);
}

static void undef_from_el0_uses_the_lower_el_vector(void **state)
{
	(void)state;
	vcpu.regs.pstate = 0; /* EL0t */
	vcpu.regs.pc = PC;
	trap(key_esr(SYSREG_KEY(3, 3, 9, 12, 0), 0, true));
	assert_int_equal(vcpu.regs.pc, VBAR + 0x400);
	assert_int_equal(vcpu.regs.pstate, EL1H);
	assert_int_equal(fake_cpu()->el1.spsr, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, new_vcpu, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_id_field_is_hidden_kept_or_fixed_as_documented),
	    cmocka_unit_test(pfr0_all_ones_and_qemu_max),
	    cmocka_unit_test(csv2_never_advertises_scxtnum),
	    cmocka_unit_test(mte_is_shown_only_with_allocation_tags),
	    cmocka_unit_test(dfr0_shows_the_cpus_breakpoints_and_watchpoints_and_nothing_else),
	    cmocka_unit_test(pmuver_is_the_cpus_up_to_v3p7),
	    cmocka_unit_test(pmu_registers_are_the_ones_tpm_traps),
	    cmocka_unit_test(isar_registers_hide_tme_and_show_pointer_authentication),
	    cmocka_unit_test(mmfr_all_ones),
	    cmocka_unit_test(mmfr0_parange_follows_the_ipa_size_not_the_hardware),
	    cmocka_unit_test(mmfr0_granules_lose_their_52_bit_forms),
	    cmocka_unit_test(mmfr0_of_a_qemu_max_cpu),
	    cmocka_unit_test(unlisted_id_registers_read_as_zero),
	    cmocka_unit_test(find_locates_every_emulated_register),
	    cmocka_unit_test(find_misses_registers_it_does_not_emulate),
	    cmocka_unit_test(table_is_sorted_and_has_nothing_else),
	    T(mrs_of_each_id_register_reads_the_sanitized_value),
	    T(mrs_id_aa64mmfr0_reports_the_ipa_size_chosen_at_boot),
	    T(mrs_of_an_unimplemented_id_register_reads_zero),
	    T(msr_to_an_id_register_is_undefined),
	    T(mrs_into_xzr_discards_the_value),
	    T(locked_debug_registers_are_stored_per_vcpu),
	    T(claim_tags_set_clear_and_read_back),
	    T(os_lock_is_reflected_in_oslsr),
	    T(raz_wi_registers_ignore_writes),
	    T(read_only_registers_read_zero_and_refuse_writes),
	    T(set_way_maintenance_is_always_clean_and_invalidate),
	    T(sgi_generation_registers_go_to_the_vgic),
	    T(unknown_registers_are_undefined_and_leave_rt_alone),
	    T(undef_from_el0_uses_the_lower_el_vector),
	    T(a_first_pac_use_makes_the_keys_live_and_runs_again),
	    T(without_pac_its_traps_are_undefined),
	    T(live_keys_follow_their_vcpu_and_no_other),
	    T(a_first_tag_register_access_makes_mte_live_and_runs_again),
	    T(without_mte_its_registers_are_undefined),
	    T(a_first_pmu_use_makes_its_state_live_and_runs_again),
	    T(live_pmu_follows_its_vcpu_and_no_other),
	    T(a_reset_traps_the_pmu_again),
	    T(without_the_pmu_its_traps_are_undefined),
	};

	return cmocka_run_group_tests_name("sysreg", tests, NULL, NULL);
}
