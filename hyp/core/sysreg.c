/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trapped system register accesses. The ID registers (op0=3, op1=0, CRn=0, CRm=1..7) answer
 * from values sanitized once at boot; everything else kestrel emulates is a row in one
 * list. An access that matches neither is an UNDEF for the guest, as it would be on a CPU
 * without that register.
 */
#include <kestrel/hyp.h>
#include <kestrel/pmu.h>
#include <kestrel/debug.h>
#include <kestrel/sysreg.h>
#include <kestrel/lib.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

struct sysreg_desc;
typedef exit_result sysreg_fn(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg,
			      bool read);

struct sysreg_desc {
	uint32_t key;
	uint32_t field; /* offset into struct vcpu, for stored registers */
	sysreg_fn *access;
};

static uint64_t id_values[7][8]; /* [CRm - 1][op2] */

/* Which fields of each ID register a guest may see, and fixed values for the rest. */
struct id_rule {
	uint32_t key;
	uint64_t keep;	/* fields passed through from the hardware */
	uint64_t fixed; /* fields kestrel sets */
};

#define ID_AA64PFR0  SYSREG_KEY(3, 0, 0, 4, 0)
#define ID_AA64PFR1  SYSREG_KEY(3, 0, 0, 4, 1)
#define ID_AA64ZFR0  SYSREG_KEY(3, 0, 0, 4, 4)
#define ID_AA64DFR0  SYSREG_KEY(3, 0, 0, 5, 0)
#define ID_AA64ISAR0 SYSREG_KEY(3, 0, 0, 6, 0)
#define ID_AA64ISAR1 SYSREG_KEY(3, 0, 0, 6, 1)
#define ID_AA64ISAR2 SYSREG_KEY(3, 0, 0, 6, 2)
#define ID_AA64MMFR0 SYSREG_KEY(3, 0, 0, 7, 0)
#define ID_AA64MMFR1 SYSREG_KEY(3, 0, 0, 7, 1)
#define ID_AA64MMFR2 SYSREG_KEY(3, 0, 0, 7, 2)

static const struct id_rule id_rules[] = {
    /* FP, AdvSIMD, GIC, SVE (its registers are switched: fpsimd.c), DIT, CSV2 (capped), CSV3;
       EL0 and EL1 AArch64 only; no EL2/EL3, RAS, MPAM, AMU, RME. */
    {ID_AA64PFR0, 0xff0f000f0fff0000ull, 0x11},
    /* BTI, SSBS, CSV2_frac (capped); MTE only with its tags (sysreg_id_sanitize); no SME, NMI,
       RAS/MPAM fractions. */
    {ID_AA64PFR1, 0x0000000f000000ffull, 0},
    /* SVE's instructions as the CPU has them (SVE2 and its extensions: SVEver, AES, BitPerm,
       BF16, B16B16, SHA3, SM4, I8MM, F32MM, F64MM): 0 without SVE. SME's ID_AA64SMFR0 has
       no rule: 0. */
    {ID_AA64ZFR0, 0x0ff0ff0f0fff00ffull, 0},
    /* Armv8.0 debug with the CPU's breakpoints, watchpoints and context comparators (switched
       with the vCPU: debug.c) and the OS double lock (emulated); no SPE or trace; the PMU's
       version is set in sysreg_id_sanitize. */
    {ID_AA64DFR0, 0x00000000f0f0f000ull, 0x6},
    /* Everything but transactional memory. */
    {ID_AA64ISAR0, ~0x000000000f000000ull, 0},
    /* Everything but LS64: pointer authentication too (its keys are switched: pac.c). */
    {ID_AA64ISAR1, 0x0fffffffffffffffull, 0},
    /* RPRES, GPA3, APA3, BC, PAC_frac, CLRBHB. */
    {ID_AA64ISAR2, 0x00000000fff0fff0ull, 0},
    /* ASIDBits, BigEnd, BigEndEL0; PARange and the granules are set in sysreg_id_sanitize. */
    {ID_AA64MMFR0, 0x00000000000f0ff0ull, 0},
    /* HAFDBS, HPDS, PAN, ETS, AFP, nTLBPA, CMOW, ECBHB; no VHE, VMID bits, LOR, HCX. */
    {ID_AA64MMFR1, 0xff0ff0f000f0f00full, 0},
    /* CnP, UAO, IESB, VARange, CCIDX, ST, AT, TTL, BBM, E0PD; no NV, FWB, EVT, IDS. */
    {ID_AA64MMFR2, 0xf0ff000ff0fff0ffull, 0},
};

static unsigned parange_field(unsigned ipa_bits)
{
	static const unsigned bits[] = {32, 36, 40, 42, 44, 48};
	unsigned f = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(bits); i++)
		if (bits[i] <= ipa_bits)
			f = i;
	return f;
}

uint64_t sysreg_id_sanitize(uint32_t key, uint64_t hw, unsigned ipa_bits)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(id_rules); i++)
		if (id_rules[i].key == key)
			v = (hw & id_rules[i].keep) | id_rules[i].fixed;
	/* SCXTNUM_EL0/EL1 come with CSV2 2 and later, and with CSV2_frac 2: kestrel traps them
	   (HCR_EL2.EnSCXT clear: UNDEF), so a guest is told CSV2 1 (CSV2_1p1 at most). */
	if (key == ID_AA64PFR0)
		v = (v & ~(0xfull << 56)) | MIN(FIELD(hw, 56, 4), 1u) << 56;
	if (key == ID_AA64PFR1)
		v = (v & ~(0xfull << 32)) | MIN(FIELD(hw, 32, 4), 1u) << 32;
	/* MTE and MTE_frac where the CPU has tags in memory (FEAT_MTE2: mte.c switches them);
	   FEAT_MTE alone (instructions, no tags: QEMU without mte=on) stays hidden. */
	if (key == ID_AA64PFR1 && FIELD(hw, MTE_ID_FIELD_SHIFT, 4) >= MTE_ID_FEAT_MTE2)
		v |= hw & (0xfull << MTE_ID_FIELD_SHIFT | 0xfull << 40);
	/* The PMU as the CPU has it (pmu.h), up to PMUv3p7: PMUv3p9 brings EL1 registers
	   kestrel does not switch. IMPLEMENTATION DEFINED (0xf) is none. */
	if (key == ID_AA64DFR0 && FIELD(hw, 8, 4) != PMUVER_IMPDEF)
		v |= MIN(FIELD(hw, 8, 4), (uint64_t)PMUVER_MAX) << 8;
	if (key == ID_AA64MMFR0) {
		uint64_t tgran16 = MIN(FIELD(hw, 20, 4), 1u);	     /* no 52-bit forms */
		uint64_t tgran64 = FIELD(hw, 24, 4);		     /* 0 or 0xf */
		uint64_t tgran4 = FIELD(hw, 28, 4) == 0xf ? 0xf : 0; /* no LPA2 */
		uint64_t ecv = MIN(FIELD(hw, 60, 4), 1u);
		v |= parange_field(ipa_bits) | tgran16 << 20 | tgran64 << 24 | tgran4 << 28 |
		     ecv << 60;
	}
	return v;
}

void sysreg_init_id_values(unsigned ipa_bits)
{
	for (unsigned crm = 1; crm <= 7; crm++)
		for (unsigned op2 = 0; op2 < 8; op2++) {
			uint64_t hw = arch_id_reg(ARCH_ID(crm, op2));
			/* A PMU kestrel keeps from guests (main.c) is none. */
			if (ARCH_ID(crm, op2) == ARCH_ID_AA64DFR0 && !hyp.has_pmu)
				hw &= ~(0xfull << 8);
			id_values[crm - 1][op2] =
			    sysreg_id_sanitize(SYSREG_KEY(3, 0, 0, crm, op2), hw, ipa_bits);
		}
}

/* --- register behaviours ---
 * Each completes the access itself (the result in Rt, or an UNDEF) and returns what the
 * dispatcher does next: EXIT_STEP_A64 past the MSR/MRS (EC 0x18 traps only from AArch64
 * state, where every instruction is 4 bytes), or the injection's result. The lookup
 * tail-calls it, so a simple register costs a few instructions. */

static exit_result read_done(struct vcpu *vcpu, unsigned reg, uint64_t val)
{
	vcpu_set_reg(vcpu, reg, val);
	return EXIT_STEP_A64;
}

static exit_result raz_wi(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg, bool read)
{
	(void)d;
	if (read)
		vcpu_set_reg(vcpu, reg, 0);
	return EXIT_STEP_A64;
}

static exit_result read_only_zero(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg,
				  bool read)
{
	(void)d;
	if (!read)
		return vcpu_inject_undef(vcpu);
	return read_done(vcpu, reg, 0);
}

static exit_result stored(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg, bool read)
{
	uint64_t *field = (uint64_t *)(void *)((char *)vcpu + d->field);

	if (read)
		vcpu_set_reg(vcpu, reg, *field);
	else
		*field = vcpu_get_reg(vcpu, reg);
	return EXIT_STEP_A64;
}

/* A debug register MDCR_EL2.TDA traps until the vCPU's first use: the registers go live and
   the access runs again (debug.c), unless the OS lock keeps them storage. */
static exit_result dbg_reg(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg, bool read)
{
	if (!debug_locked(&vcpu->dbg))
		return debug_enable(vcpu);
	return stored(vcpu, d, reg, read);
}

/* The claim tags, 8 bits: DBGCLAIMSET reads as all implemented (ones) and sets, DBGCLAIMCLR
   reads the tags and clears. */
static exit_result claim(struct vcpu *vcpu, unsigned reg, bool read, bool set)
{
	if (!debug_locked(&vcpu->dbg))
		return debug_enable(vcpu);
	if (read)
		return read_done(vcpu, reg, set ? 0xff : vcpu->dbg.claim);
	if (set)
		vcpu->dbg.claim |= vcpu_get_reg(vcpu, reg) & 0xff;
	else
		vcpu->dbg.claim &= ~vcpu_get_reg(vcpu, reg);
	return EXIT_STEP_A64;
}

static exit_result claim_set(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg,
			     bool read)
{
	(void)d;
	return claim(vcpu, reg, read, true);
}

static exit_result claim_clr(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg,
			     bool read)
{
	(void)d;
	return claim(vcpu, reg, read, false);
}

/* The OS lock (OSLAR_EL1.OSLK, write-only) and what OSDLR_EL1.DLK and DBGPRCR_EL1.CORENPDRQ
   make of the double lock (their other bits are RES0): each change may take the vCPU's
   debug registers out of the hardware or put them back (debug.c). */
static exit_result oslar(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg, bool read)
{
	(void)d;
	if (read)
		return vcpu_inject_undef(vcpu); /* write-only */
	vcpu->dbg.oslsr = OSLSR_OSLM | ((vcpu_get_reg(vcpu, reg) & 1) ? OSLSR_OSLK : 0);
	debug_locks_changed(vcpu);
	return EXIT_STEP_A64;
}

static exit_result lock_bit(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg, bool read)
{
	uint64_t *field = (uint64_t *)(void *)((char *)vcpu + d->field);

	if (read)
		return read_done(vcpu, reg, *field);
	*field = vcpu_get_reg(vcpu, reg) & 1;
	debug_locks_changed(vcpu);
	return EXIT_STEP_A64;
}

static exit_result oslsr(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg, bool read)
{
	(void)d;
	if (!read)
		return vcpu_inject_undef(vcpu); /* read-only */
	return read_done(vcpu, reg, vcpu->dbg.oslsr);
}

static exit_result dc_set_way(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg,
			      bool read)
{
	uint64_t val = vcpu_get_reg(vcpu, reg);

	(void)d;
	if (read)
		return vcpu_inject_undef(vcpu);
	arch_dc_cisw(val);
	return EXIT_STEP_A64;
}

/*
 * SGI generation always traps with HCR_EL2.IMO: the vGIC routes it to the target vCPUs. The
 * register says which groups the SGI may have at a target (vgic.h, vgic_send_sgi): SGI1R
 * either group (a single Security state), SGI0R and ASGI1R Group 0 only. An SGI to the
 * sender itself raises its attention: the dispatcher fills its list registers.
 */
static exit_result send_sgi(struct vcpu *vcpu, unsigned reg, bool read, bool group0_only)
{
	if (read)
		return vcpu_inject_undef(vcpu);
	vgic_send_sgi(vcpu, vcpu_get_reg(vcpu, reg), group0_only);
	return EXIT_STEP_A64;
}

static exit_result sgi1r_write(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg,
			       bool read)
{
	(void)d;
	return send_sgi(vcpu, reg, read, false);
}

static exit_result sgi0r_write(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg,
			       bool read)
{
	(void)d;
	return send_sgi(vcpu, reg, read, true);
}

/* A key register of pointer authentication, or a tag register of MTE, trapped until the
   vCPU's first use: its state goes live (pac.c, mte.c) and the access runs again. */
static exit_result pac_key(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg, bool read)
{
	(void)d, (void)reg, (void)read;
	return pac_enable(vcpu);
}

static exit_result mte_reg(struct vcpu *vcpu, const struct sysreg_desc *d, unsigned reg, bool read)
{
	(void)d, (void)reg, (void)read;
	return mte_enable(vcpu);
}

#define VCPU_FIELD(f)	     offsetof(struct vcpu, f)
#define PAC(X, id, crm, op2) X(id, #id, SYSREG_KEY(3, 0, 2, crm, op2), pac_key, 0)

/*
 * The emulated registers, in encoding order (op0, op1, CRn, CRm, op2): X(identifier, name, key,
 * behaviour, vCPU field). The list makes both the table and the perfect hash that finds a row
 * (below).
 */
#define SYSREG_LIST(X)                                                                             \
	X(DC_ISW, "DC ISW", SYSREG_KEY(1, 0, 7, 6, 2), dc_set_way, 0)                              \
	X(DC_CSW, "DC CSW", SYSREG_KEY(1, 0, 7, 10, 2), dc_set_way, 0)                             \
	X(DC_CISW, "DC CISW", SYSREG_KEY(1, 0, 7, 14, 2), dc_set_way, 0)                           \
	X(MDCCINT_EL1, "MDCCINT_EL1", SYSREG_KEY(2, 0, 0, 2, 0), dbg_reg, VCPU_FIELD(dbg.mdccint)) \
	X(MDSCR_EL1, "MDSCR_EL1", SYSREG_KEY(2, 0, 0, 2, 2), dbg_reg, VCPU_FIELD(dbg.mdscr))       \
	X(OSECCR_EL1, "OSECCR_EL1", SYSREG_KEY(2, 0, 0, 6, 2), raz_wi, 0)                          \
	X(MDRAR_EL1, "MDRAR_EL1", SYSREG_KEY(2, 0, 1, 0, 0), read_only_zero, 0)                    \
	X(OSLAR_EL1, "OSLAR_EL1", SYSREG_KEY(2, 0, 1, 0, 4), oslar, 0)                             \
	X(OSLSR_EL1, "OSLSR_EL1", SYSREG_KEY(2, 0, 1, 1, 4), oslsr, 0)                             \
	X(OSDLR_EL1, "OSDLR_EL1", SYSREG_KEY(2, 0, 1, 3, 4), lock_bit, VCPU_FIELD(dbg.osdlr))      \
	X(DBGPRCR_EL1, "DBGPRCR_EL1", SYSREG_KEY(2, 0, 1, 4, 4), lock_bit,                         \
	  VCPU_FIELD(dbg.dbgprcr))                                                                 \
	X(DBGCLAIMSET_EL1, "DBGCLAIMSET_EL1", SYSREG_KEY(2, 0, 7, 8, 6), claim_set, 0)             \
	X(DBGCLAIMCLR_EL1, "DBGCLAIMCLR_EL1", SYSREG_KEY(2, 0, 7, 9, 6), claim_clr, 0)             \
	X(DBGAUTHSTATUS_EL1, "DBGAUTHSTATUS_EL1", SYSREG_KEY(2, 0, 7, 14, 6), read_only_zero, 0)   \
	X(MDCCSR_EL0, "MDCCSR_EL0", SYSREG_KEY(2, 3, 0, 1, 0), read_only_zero, 0)                  \
	X(DBGDTR_EL0, "DBGDTR_EL0", SYSREG_KEY(2, 3, 0, 4, 0), raz_wi, 0)                          \
	X(DBGDTRRX_EL0, "DBGDTRRX_EL0", SYSREG_KEY(2, 3, 0, 5, 0), raz_wi, 0)                      \
	X(ACTLR_EL1, "ACTLR_EL1", SYSREG_KEY(3, 0, 1, 0, 1), raz_wi, 0)                            \
	X(RGSR_EL1, "RGSR_EL1", SYSREG_KEY(3, 0, 1, 0, 5), mte_reg, 0)                             \
	X(GCR_EL1, "GCR_EL1", SYSREG_KEY(3, 0, 1, 0, 6), mte_reg, 0)                               \
	PAC(X, APIAKEYLO_EL1, 1, 0)                                                                \
	PAC(X, APIAKEYHI_EL1, 1, 1)                                                                \
	PAC(X, APIBKEYLO_EL1, 1, 2)                                                                \
	PAC(X, APIBKEYHI_EL1, 1, 3)                                                                \
	PAC(X, APDAKEYLO_EL1, 2, 0)                                                                \
	PAC(X, APDAKEYHI_EL1, 2, 1)                                                                \
	PAC(X, APDBKEYLO_EL1, 2, 2)                                                                \
	PAC(X, APDBKEYHI_EL1, 2, 3)                                                                \
	PAC(X, APGAKEYLO_EL1, 3, 0)                                                                \
	PAC(X, APGAKEYHI_EL1, 3, 1)                                                                \
	X(TFSR_EL1, "TFSR_EL1", SYSREG_KEY(3, 0, 5, 6, 0), mte_reg, 0)                             \
	X(TFSRE0_EL1, "TFSRE0_EL1", SYSREG_KEY(3, 0, 5, 6, 1), mte_reg, 0)                         \
	X(ICC_SGI1R_EL1, "ICC_SGI1R_EL1", SYSREG_KEY(3, 0, 12, 11, 5), sgi1r_write, 0)             \
	X(ICC_ASGI1R_EL1, "ICC_ASGI1R_EL1", SYSREG_KEY(3, 0, 12, 11, 6), sgi0r_write, 0)           \
	X(ICC_SGI0R_EL1, "ICC_SGI0R_EL1", SYSREG_KEY(3, 0, 12, 11, 7), sgi0r_write, 0)

#define AS_INDEX(id, name, key, fn, field) SR_##id,
#define AS_DESC(id, name, key, fn, field)  {key, field, fn},
#define AS_SLOT(id, name, key, fn, field)  [SYSREG_HASH(key)] = SR_##id,

/* Row 0 is a sentinel whose key no access has (keys have only SYSREG_KEY_MASK bits): an empty
   slot leads to it, so a lookup is one compare. */
enum { SR_NONE, SYSREG_LIST(AS_INDEX) SYSREG_COUNT };

/*
 * Rows are found by a perfect hash: bits 13-19 of the key times a small odd multiplier (one
 * MOV) pick one of 128 slots, each naming at most one row (0: the sentinel). Two rows in one
 * slot are two initializers of one array element, which the build refuses (-Woverride-init);
 * a new row that collides needs another multiplier or shift.
 */
#define SYSREG_HASH_BITS 7
#define SYSREG_HASH(key) (((uint32_t)(key)*4439u >> 13) & ((1u << SYSREG_HASH_BITS) - 1))

/* Rows and slots in one object: one address reaches both. */
static const struct {
	struct sysreg_desc row[SYSREG_COUNT];
	uint8_t slot[1u << SYSREG_HASH_BITS];
} sysregs = {{{~0u, 0, NULL}, SYSREG_LIST(AS_DESC)}, {SYSREG_LIST(AS_SLOT)}};

const struct sysreg_desc *sysreg_find(uint32_t key);
const struct sysreg_desc *sysreg_find(uint32_t key)
{
	/* size_t: the row's address is computed once, zero-extended, not twice. */
	const struct sysreg_desc *d = sysregs.row + (size_t)sysregs.slot[SYSREG_HASH(key)];

	return d->key == key ? d : NULL;
}

/* op0=3, op1=0, CRn=0, CRm=1..7: the feature ID registers HCR_EL2.TID3 traps. */
static bool is_id_space(uint32_t key)
{
	unsigned crm = SYSREG_KEY_CRM(key);

	return (key & ~SYSREG_KEY(0, 0, 0, 15, 7)) == SYSREG_KEY(3, 0, 0, 0, 0) && crm >= 1 &&
	       crm <= 7;
}

/*
 * Past the table: the breakpoint and watchpoint registers, DBG{B,W}{V,C}R<n>_EL1 (op0 2, op1 0,
 * CRn 0, CRm n, op2 4..7), are 16 numbered copies of four registers. They are decoded here by
 * number rather than as 64 rows: no exit path looks for them (a vCPU's first access makes
 * them live, untrapped; only a locked vCPU's accesses are emulated), and 64 rows would be
 * 2.7 KiB. Anything else (an ID register write too) is an UNDEF. The syndrome is read again
 * (ESR_EL2): a miss that takes the vCPU alone leaves the lookup's registers as they were.
 */
static NOINLINE exit_result unlisted(struct vcpu *vcpu)
{
	struct sysreg_access acc;

	esr_decode_sysreg(arch_exit_esr(), &acc);
	if ((acc.key & ~SYSREG_KEY(0, 0, 0, 15, 3)) == SYSREG_KEY(2, 0, 0, 0, 4))
		return debug_pair_access(vcpu, SYSREG_KEY_CRM(acc.key),
					 (enum debug_pair_reg)SYSREG_KEY_OP2(acc.key), acc.reg,
					 acc.read);
	if (pmu_is_reg(acc.key))
		return pmu_enable(vcpu);
	return vcpu_inject_undef(vcpu);
}

exit_result sysreg_exit(struct vcpu *vcpu, uint64_t esr)
{
	struct sysreg_access acc;

	esr_decode_sysreg(esr, &acc);
	if (!is_id_space(acc.key)) {
		const struct sysreg_desc *d =
		    sysregs.row + (size_t)sysregs.slot[SYSREG_HASH(acc.key)];
		if (d->key == acc.key)
			return d->access(vcpu, d, acc.reg, acc.read);
		/* Not listed: the numbered debug registers and the PMU's (trapped until a
		   vCPU's first use), any other an UNDEF; unlisted reads the syndrome again, since
		   passing the key here would cost every listed register an instruction. */
		return unlisted(vcpu);
	}
	if (!acc.read)
		return unlisted(vcpu); /* an UNDEF, from the same place as the table's misses */
	vcpu_set_reg(vcpu, acc.reg,
		     id_values[SYSREG_KEY_CRM(acc.key) - 1][SYSREG_KEY_OP2(acc.key)]);
	return EXIT_STEP_A64;
}
