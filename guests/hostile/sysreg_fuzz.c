/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sysreg_fuzz: system register accesses a guest has no business making. Each MRS/MSR either
 * works as the architecture says or is UNDEFINED (EC 0x00 at EL1; also counted as such: EC
 * 0x18 for the ID register space, which FEAT_IDST reports so, and the SVE/SME traps of the
 * guest's own CPACR_EL1); nothing else may happen, and kestrel must go on running.
 *
 * 1. Every MRS encoding of op0 = 2 and 3 (32768) from EL1: reads of EL2 and EL3 registers
 *    (op1 = 4, 5, 6; including the GIC's ICH_* list registers) must be UNDEFINED; so must
 *    the pointer authentication keys and the PMU registers where the ID registers hide them,
 *    and the IMPLEMENTATION DEFINED space (CRn = 11, 15). ID registers read the same twice.
 * 2. writes= (default 5000) MSRs of random encodings with random values from EL1, leaving
 *    out what the guest itself needs to keep running: its translation and control registers
 *    (op0=3 op1=0 CRn=1 CRm=0, CRn=2 CRm=0), PSTATE and the exception registers (CRn=4), its
 *    GIC CPU interface (CRn=12, except the SGI generation registers), the guarded control
 *    stack registers, MDSCR_EL1 (debug exceptions it does not handle) and OSDLR_EL1.
 * 3. el0= (default 4000) random MRS/MSR encodings from EL0: anything but op1 = 3 must trap
 *    (UNDEFINED, or EC 0x18 where the architecture reports an EL0 access that way), as must
 *    HVC and SMC.
 * 4. AArch32 at EL0 (T32), if the CPU has it: a 16-bit instruction that traps to the
 *    hypervisor must resume at the next one, 2 bytes on.
 * 5. Residue, until run-ms= has passed: every system register that this VM may write and
 *    read back (CRn = 12 included: DISR_EL1, the GIC CPU interface; the PMU's counters,
 *    event types and controls, stopped, where kestrel gives it; the breakpoint and
 *    watchpoint registers, with the OS lock clear), and the 32 FP/SIMD
 *    registers (with SVE: Z0-Z31 whose low bits they are, P0-P15, FFR, ZCR_EL1 and so the
 *    vector length), get a marker of its own; after ~30 ms, in which
 *    any other VM sharing the physical CPU runs too, each must still hold it. A register
 *    kestrel does not switch between VMs shows up as one that changed.
 *
 * Prints "HOSTILE: sysreg cases N undef U ok K" (every access made, N = U + K when all went
 * as expected) and "HOSTILE: residue registers R rounds I changed X".
 */
#include "fp_regs.h"
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "hostile.h"
#include "printf.h"
#include "runtime.h"
#include "sve_regs.h"
#include "sysreg.h"

#define NR_ENC		32768u /* o0:op1:CRn:CRm:op2, the bits 19..5 of MRS/MSR */
#define MRS(idx)	(0xd5300000u | ((uint32_t)(idx) << 5)) /* Rt = x0 */
#define MSR(idx)	(0xd5100000u | ((uint32_t)(idx) << 5))
#define INSN_RET	0xd65f03c0u
#define INSN_SVC0	0xd4000001u
#define INSN_HVC0	0xd4000002u
#define INSN_SMC0	0xd4000003u
#define EC_SYS64	0x18u
#define EC_SVE		0x19u
#define EC_SME		0x1du
#define MAX_SHOWN	40
#define MAX_WRITES	8192
#define MAX_EL0		8192
#define MAX_RESIDUE	256
#define RESIDUE_WAIT_MS 30u

#define OP0(i) (2 + (((i) >> 14) & 1))
#define ENC(op0, op1, crn, crm, op2)                                                               \
	((((op0)-2u) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))
#define SVCR	   ENC(3, 3, 4, 2, 2)
#define TPIDR2_EL0 ENC(3, 3, 13, 0, 5)
#define ICC_BPR0   ENC(3, 0, 12, 8, 3)
#define ICC_BPR1   ENC(3, 0, 12, 12, 3)
#define ICC_CTLR   ENC(3, 0, 12, 12, 4)
#define PMCR	   ENC(3, 3, 9, 12, 0)
#define PMCNTENSET ENC(3, 3, 9, 12, 1)
#define PMSELR	   ENC(3, 3, 9, 12, 5)
#define PMCCNTR	   ENC(3, 3, 9, 13, 0)
#define PMUSERENR  ENC(3, 3, 9, 14, 0)
#define PMOVSSET   ENC(3, 3, 9, 14, 3)
#define PMINTENSET ENC(3, 0, 9, 14, 1)
#define CPACR	   ENC(3, 0, 1, 0, 2)
#define OP1(i)	   (((i) >> 11) & 7)
#define CRN(i)	   (((i) >> 7) & 15)
#define CRM(i)	   (((i) >> 3) & 15)
#define OP2(i)	   ((i)&7)

/* Code written at run time: one stub of two instructions per access. */
static uint32_t read_code[NR_ENC * 2] __attribute__((aligned(4096)));
static uint32_t write_code[MAX_WRITES * 2] __attribute__((aligned(4096)));
static uint32_t el0_code[MAX_EL0 * 2] __attribute__((aligned(4096)));
static uint32_t residue_code[MAX_RESIDUE * 4] __attribute__((aligned(4096)));
static uint64_t el0_stack[64] __attribute__((aligned(16)));

/* 1 bit per encoding: MRS worked at EL1. */
static uint8_t readable[NR_ENC / 8];
static uint64_t read_value[NR_ENC];

extern char el0_vectors[];
extern volatile uint64_t el0_exceptions, el0_last_esr;
uint64_t el0_call(uint64_t x0, const uint32_t *stub, uint64_t sp_el0);

static unsigned long cases, undefs, oks, shown;
static bool pauth_hidden, pmu_hidden, sve_shown;

static uint64_t call_stub(const uint32_t *stub, uint64_t x0)
{
	register uint64_t r0 __asm__("x0") = x0;

	__asm__ __volatile__("blr %1" : "+r"(r0) : "r"(stub) : "x30", "cc", "memory");
	return r0;
}

static void name_of(unsigned idx, char *buf)
{
	/* "S3_0_C12_C11_5": built by hand, printf has no snprintf here. */
	unsigned v[5] = {OP0(idx), OP1(idx), CRN(idx), CRM(idx), OP2(idx)};
	char *p = buf;
	*p++ = 'S';
	for (unsigned k = 0; k < 5; k++) {
		if (k)
			*p++ = '_';
		if (k == 2 || k == 3)
			*p++ = 'C';
		if (v[k] >= 10)
			*p++ = (char)('0' + v[k] / 10);
		*p++ = (char)('0' + v[k] % 10);
	}
	*p = 0;
}

static void fail(unsigned idx, const char *what, uint64_t esr)
{
	char name[24];

	test_fail();
	if (shown++ < MAX_SHOWN) {
		name_of(idx, name);
		printf("FAIL - %s %s: ESR_EL1 0x%lx\n", what, name, esr);
	}
}

/* The registers whose writes would take the guest's own ground away. */
static bool write_denied(unsigned idx)
{
	unsigned op0 = OP0(idx), op1 = OP1(idx), crn = CRN(idx), crm = CRM(idx), op2 = OP2(idx);

	/* MDSCR_EL1: a random value enables breakpoints, watchpoints or software step, whose
	   debug exceptions this guest would take (kestrel gives guests self-hosted debug).
	   OSDLR_EL1: the double lock makes the debug registers kestrel's storage, which keeps
	   what is written as written, where the CPU applies its own rules (RES0 bits, BAS) once
	   they are live again: a marker written under it would read back changed. */
	if (idx == ENC(2, 0, 0, 2, 2) || idx == ENC(2, 0, 1, 3, 4))
		return true;
	if (op0 != 3)
		return false;
	if (op1 == 0) {
		if (crn == 1 && crm == 0 && op2 != 1) /* SCTLR, CPACR, SCTLR2 (ACTLR is fine) */
			return true;
		if (crn == 2 && (crm == 0 || crm >= 4)) /* TTBRn, TCR, TCR2; GCS */
			return true;
		if (crn == 4) /* SPSR, ELR, SP_EL0, SPSel, PAN, UAO, ICC_PMR, ... */
			return true;
		if (crn == 12 && !(crm == 11 && op2 == 5)) /* VBAR, ISR, ICC_* but ICC_SGI1R */
			return true;
		return false;
	}
	if (op1 == 3) /* NZCV, DAIF, FPCR, FPSR, DIT, SSBS, TCO, SVCR; GCSPR_EL0 */
		return crn == 4 || (crn == 2 && crm == 5);
	return false;
}

/* The PMU's registers: PMCR_EL0..PMOVSSET_EL0, PMINTENSET/CLR_EL1, PMMIR_EL1, the event
   counters and types, PMCCFILTR_EL0. */
static bool is_pmu(unsigned idx)
{
	unsigned op0 = OP0(idx), op1 = OP1(idx), crn = CRN(idx), crm = CRM(idx);

	return op0 == 3 &&
	       ((op1 == 3 && crn == 9 && crm >= 12) || (op1 == 3 && crn == 14 && crm >= 8) ||
		(op1 == 0 && crn == 9 && crm == 14));
}

/* op1 = 4 (EL2), 5 (EL12/EL02 aliases, VHE only), 6 (EL3): never for an EL1 guest. */
static bool must_undef(unsigned idx)
{
	unsigned op0 = OP0(idx), op1 = OP1(idx), crn = CRN(idx), crm = CRM(idx);

	if (op1 >= 4 && op1 <= 6)
		return true;
	if (op0 == 3 && (crn == 11 || crn == 15)) /* IMPLEMENTATION DEFINED */
		return true;
	if (pauth_hidden && op0 == 3 && op1 == 0 && crn == 2 && crm >= 1 && crm <= 3)
		return true; /* APIAKey..APGAKey */
	if (pmu_hidden && is_pmu(idx))
		return true;
	return false;
}

static bool is_id_space(unsigned idx)
{
	return OP0(idx) == 3 && OP1(idx) == 0 && CRN(idx) == 0 && CRM(idx) >= 1 && CRM(idx) <= 7;
}

static void write_stubs(uint32_t *code, unsigned n)
{
	sync_icache(code, n);
}

/*
 * The exceptions that mean "this register is not for you": UNDEFINED (EC 0x00); for the ID
 * register space, EC 0x18 taken to EL1 (FEAT_IDST reports unimplemented ID registers so);
 * for ZCR_EL1 and SMCR_EL1, the SVE and SME access traps of the guest's own CPACR_EL1 (EC
 * 0x19, 0x1d), which come before any trap to EL2 when the CPU has those extensions.
 */
static bool trap_ok(unsigned idx, uint64_t esr)
{
	unsigned ec = ESR_EC(esr);

	if (!(esr & (1u << 25))) /* IL: a 32-bit instruction */
		return false;
	if (ec == EC_UNKNOWN)
		return true;
	if (ec == EC_SYS64)
		return OP0(idx) == 3 && CRN(idx) == 0 && CRM(idx) <= 7 &&
		       (OP1(idx) == 0 || OP1(idx) == 1 || OP1(idx) == 3);
	if (ec == EC_SVE || ec == EC_SME) /* ZCR_EL1, SMPRI_EL1, SMCR_EL1; SVCR; TPIDR2_EL0 */
		return (OP0(idx) == 3 && OP1(idx) == 0 && CRN(idx) == 1 && CRM(idx) == 2 &&
			(OP2(idx) == 0 || OP2(idx) == 4 || OP2(idx) == 6)) ||
		       idx == SVCR || idx == TPIDR2_EL0;
	return false;
}

/* One access at EL1: true if it worked, false if it was UNDEFINED (anything else fails). */
static bool el1_access(const uint32_t *stub, unsigned idx, bool read, uint64_t *val)
{
	exception_expect(0);
	uint64_t v = call_stub(stub, *val);
	unsigned taken = exception_expect_end();

	cases++;
	if (!taken) {
		oks++;
		*val = v;
		if (must_undef(idx))
			fail(idx,
			     read ? "MRS worked, but must be UNDEFINED:"
				  : "MSR worked, but must be UNDEFINED:",
			     0);
		return true;
	}
	uint64_t esr = last_exception.esr;
	if (last_exception.elr == (uint64_t)(uintptr_t)stub && trap_ok(idx, esr)) {
		undefs++;
		return false;
	}
	fail(idx,
	     read ? "MRS: not an UNDEF at the instruction:"
		  : "MSR: not an UNDEF at the instruction:",
	     esr);
	return false;
}

static void read_sweep(void)
{
	for (unsigned i = 0; i < NR_ENC; i++) {
		read_code[2 * i] = MRS(i);
		read_code[2 * i + 1] = INSN_RET;
	}
	write_stubs(read_code, NR_ENC * 2);
	for (unsigned i = 0; i < NR_ENC; i++) {
		uint64_t v = 0;
		if (el1_access(&read_code[2 * i], i, true, &v)) {
			readable[i / 8] |= (uint8_t)(1u << (i % 8));
			read_value[i] = v;
		}
		if (is_id_space(i)) {
			uint64_t again = 0;
			bool ok = el1_access(&read_code[2 * i], i, true, &again);
			if (!ok || again != v)
				fail(i, "ID register reads differ:", again);
		}
	}
}

static bool is_readable(unsigned idx)
{
	return readable[idx / 8] & (1u << (idx % 8));
}

static void write_fuzz(struct rng *rng, unsigned n)
{
	static uint16_t pick[MAX_WRITES];

	for (unsigned k = 0; k < n; k++) {
		unsigned idx;
		do
			idx = (unsigned)rng_below(rng, NR_ENC);
		while (write_denied(idx));
		pick[k] = (uint16_t)idx;
		write_code[2 * k] = MSR(idx);
		write_code[2 * k + 1] = INSN_RET;
	}
	write_stubs(write_code, n * 2);
	for (unsigned k = 0; k < n; k++) {
		unsigned idx = pick[k];
		uint64_t v;
		switch (rng_below(rng, 4)) {
		case 0:
			v = is_readable(idx) ? read_value[idx] : 0;
			break;
		case 1:
			v = 0;
			break;
		case 2:
			v = ~0ull;
			break;
		default:
			v = rng_next(rng);
			break;
		}
		el1_access(&write_code[2 * k], idx, false, &v);
		if (is_id_space(idx) && OP0(idx) == 3) {
			/* Writes to the ID registers are UNDEFINED; the values must not move. */
			uint64_t after = 0;
			if (is_readable(idx) &&
			    (!el1_access(&read_code[2 * idx], idx, true, &after) ||
			     after != read_value[idx]))
				fail(idx, "ID register changed after a write:", after);
		}
	}
}

static unsigned long el0_cases, el0_trapped, el0_ok;

static void el0_fuzz(struct rng *rng, unsigned n)
{
	static uint16_t pick[MAX_EL0];
	static const uint32_t fixed[] = {INSN_HVC0, INSN_SMC0};
	unsigned nfixed = ARRAY_LEN(fixed);

	for (unsigned k = 0; k < n; k++) {
		unsigned idx = (unsigned)rng_below(rng, NR_ENC);
		bool read = rng_below(rng, 2);
		if (!read && OP1(idx) == 3 && write_denied(idx))
			read = true;
		if (k < nfixed)
			idx = 0, read = true;
		pick[k] = (uint16_t)(idx | (read ? 0x8000u : 0));
		el0_code[2 * k] = k < nfixed ? fixed[k] : read ? MRS(idx) : MSR(idx);
		el0_code[2 * k + 1] = INSN_SVC0;
	}
	write_stubs(el0_code, n * 2);

	uint64_t vbar = read_sysreg(vbar_el1);
	write_sysreg(vbar_el1, (uint64_t)(uintptr_t)el0_vectors);
	isb();
	for (unsigned k = 0; k < n; k++) {
		unsigned idx = pick[k] & 0x7fff;
		bool read = pick[k] & 0x8000;
		uint64_t before = el0_exceptions;
		el0_call(rng_next(rng), &el0_code[2 * k],
			 (uint64_t)(uintptr_t)&el0_stack[ARRAY_LEN(el0_stack)]);
		uint64_t taken = el0_exceptions - before, esr = el0_last_esr;
		el0_cases++;
		if (taken == 0) {
			el0_ok++;
			if (k < nfixed)
				fail(idx, "HVC/SMC at EL0 was not UNDEFINED", 0);
			else if (OP0(idx) == 3 && OP1(idx) != 3)
				fail(idx,
				     read ? "EL0 MRS of an EL1+ register worked:"
					  : "EL0 MSR of an EL1+ register worked:",
				     0);
		} else if (taken == 1 && (ESR_EC(esr) == EC_SYS64 || trap_ok(idx, esr))) {
			/* EL1 may trap an EL0 access as EC 0x18 for many reasons (CTR_EL0,
			   the counters, DAIF, ...): all fine. */
			el0_trapped++;
		} else {
			fail(idx, "EL0 access: not a trap:", esr);
		}
	}
	write_sysreg(vbar_el1, vbar);
	isb();
}

/*
 * AArch32 at EL0, which the hardware may have even though the ID registers kestrel shows
 * say EL0 is AArch64 only. Two 16-bit T32 instructions that trap to the hypervisor: WFE
 * (HCR_EL2.TWE) and a load from the UART's flag register (a stage-2 fault kestrel emulates).
 * Each must resume at the next instruction, 2 bytes on (ESR_EL2.IL = 0), which sets r0 to 1
 * before the SVC that ends the stub.
 */
uint64_t el0_call_t32(uint64_t r0, const void *stub, uint64_t sp);
extern char el0_back[];

static uint16_t t32_code[2][8] __attribute__((aligned(16))) = {
    {0xbf20, 0x2001, 0xdf00, 0xbf00}, /* wfe; movs r0, #1; svc #0 */
    {0x4902, 0x680a, 0x2001, 0xdf00,  /* ldr r1, [pc, #8]; ldr r2, [r1]; movs r0, #1; svc #0 */
     0xbf00, 0xbf00, 0x0018, 0x0900}, /* nop; nop; .word 0x09000018 (UARTFR) */
};

static void aarch32_el0(void)
{
	static const char *const what[] = {"16-bit WFE", "16-bit LDR from the UART"};

	sync_icache((volatile uint32_t *)t32_code, sizeof(t32_code) / 4);
	uint64_t vbar = read_sysreg(vbar_el1);
	write_sysreg(vbar_el1, (uint64_t)(uintptr_t)el0_vectors);
	isb();
	for (unsigned k = 0; k < ARRAY_LEN(t32_code); k++) {
		uint64_t before = el0_exceptions;
		/* Without AArch32 at EL0 the return is illegal: resume in el0_back, skip. */
		exception_expect((uint64_t)(uintptr_t)el0_back);
		uint64_t r0 = el0_call_t32(0, t32_code[k],
					   (uint64_t)(uintptr_t)&el0_stack[ARRAY_LEN(el0_stack)]);
		if (exception_expect_end()) {
			printf(
			    "sysreg: no AArch32 at EL0 here (ESR_EL1 0x%lx): T32 checks skipped\n",
			    last_exception.esr);
			break;
		}
		cases++;
		if (el0_exceptions != before) {
			fail(0, "AArch32 EL0 stub took an exception:", el0_last_esr);
			continue;
		}
		oks++;
		if (!check((uint32_t)r0 == 1,
			   "AArch32 EL0: a trapped %s resumes at the next "
			   "instruction (r0 = %u)",
			   what[k], (uint32_t)r0))
			printf("sysreg: the instruction after the %s was skipped: the hypervisor "
			       "moved the PC 4 bytes on, not 2\n",
			       what[k]);
	}
	write_sysreg(vbar_el1, vbar);
	isb();
}

/* ---- residue: state that would survive from one VM to the next on a CPU ---- */

/*
 * Registers the random writes leave alone but the residue check can use: with the MMU off
 * and no exception due, the translation registers, the exception registers, SP_EL0,
 * TPIDR_EL1, MTE's GCR_EL1 and RGSR_EL1 (nothing here tags memory) and the GIC CPU
 * interface's priority mask, binary point and group enable hold whatever they are given, and so do
 * FPCR and FPSR (nothing here computes in floating point). VBAR_EL1 and CPACR_EL1 too, for the
 * short time of a round: they get their markers last and their own values back first.
 */
static const uint16_t residue_extra[] = {
    ENC(3, 0, 2, 0, 0), /* TTBR0_EL1 */
    ENC(3, 0, 2, 0, 1), /* TTBR1_EL1 */
    ENC(3, 0, 2, 0, 2), /* TCR_EL1 */
    ENC(3, 0, 4, 0, 0), /* SPSR_EL1 */
    ENC(3, 0, 4, 0, 1), /* ELR_EL1 */
    ENC(3, 0, 4, 1, 0), /* SP_EL0 */
    ENC(3, 0, 4, 6, 0), /* ICC_PMR_EL1 */
    ENC(3, 3, 4, 4, 0), /* FPCR */
    ENC(3, 3, 4, 4, 1), /* FPSR */
    ICC_BPR0,
    ICC_BPR1,
    ENC(3, 0, 12, 12, 6), /* ICC_IGRPEN0_EL1 */
    ENC(3, 0, 12, 12, 7), /* ICC_IGRPEN1_EL1 */
    ENC(3, 0, 13, 0, 4),  /* TPIDR_EL1 */
    ENC(3, 0, 1, 0, 5),	  /* RGSR_EL1 (MTE, where the machine has tags: --mte) */
    ENC(3, 0, 1, 0, 6),	  /* GCR_EL1 */
    ENC(3, 0, 12, 0, 0),  /* VBAR_EL1: late */
    CPACR,		  /* CPACR_EL1: late */
};
#define RESIDUE_LATE 2 /* the last entries above */

static uint16_t residue_idx[MAX_RESIDUE];
static uint64_t residue_own[MAX_RESIDUE]; /* the value each held before the markers */
static unsigned nresidue, nlate;
static unsigned long residue_rounds, residue_changed;

static int extra_pos(unsigned idx)
{
	for (unsigned k = 0; k < ARRAY_LEN(residue_extra); k++)
		if (residue_extra[k] == idx)
			return (int)k;
	return -1;
}

/*
 * CRn = 12 at op1 = 0: the registers whose reads change or report state that moves on its own
 * (ISR, RVBAR, the acknowledge, highest-pending and running-priority registers) and the ones
 * that only take writes; everything else there (DISR_EL1, the GIC CPU interface's control,
 * active-priority and group-enable registers, ...) holds a marker like any other register.
 */
static bool crn12_moving(unsigned idx)
{
	static const uint16_t moving[] = {
	    ENC(3, 0, 12, 0, 1),  /* RVBAR_EL1 */
	    ENC(3, 0, 12, 0, 2),  /* RMR_EL1 */
	    ENC(3, 0, 12, 1, 0),  /* ISR_EL1 */
	    ENC(3, 0, 12, 8, 0),  /* ICC_IAR0_EL1: a read acknowledges */
	    ENC(3, 0, 12, 8, 2),  /* ICC_HPPIR0_EL1 */
	    ENC(3, 0, 12, 9, 5),  /* ICC_NMIAR1_EL1 */
	    ENC(3, 0, 12, 11, 3), /* ICC_RPR_EL1 */
	    ENC(3, 0, 12, 12, 0), /* ICC_IAR1_EL1 */
	    ENC(3, 0, 12, 12, 2), /* ICC_HPPIR1_EL1 */
	};
	for (unsigned k = 0; k < ARRAY_LEN(moving); k++)
		if (moving[k] == idx)
			return true;
	return false;
}

/* ICC_AP0R<n>_EL1, ICC_AP1R<n>_EL1 */
static bool is_apr(unsigned idx)
{
	unsigned crm = CRM(idx), op2 = OP2(idx);

	return OP0(idx) == 3 && OP1(idx) == 0 && CRN(idx) == 12 &&
	       ((crm == 8 && op2 >= 4) || (crm == 9 && op2 < 4));
}

static bool residue_candidate(unsigned idx)
{
	unsigned op0 = OP0(idx), op1 = OP1(idx), crn = CRN(idx), crm = CRM(idx), op2 = OP2(idx);

	if (!is_readable(idx) || op1 > 3 || is_id_space(idx))
		return false;
	if (extra_pos(idx) >= 0)
		return true;
	if (op0 == 3 && op1 == 0 && crn == 12)
		return !crn12_moving(idx);
	if (write_denied(idx))
		return false;
	/* The PMU's, stopped (PMCR_EL0.E clear: residue_setup): the counts, event types and
	   filters hold, and so do the controls read through their SET forms. Not the CLR forms
	   and the PMXEV* windows, which are other names of those (a marker written there would
	   change another's), nor the read-only and write-only ones. */
	if (is_pmu(idx))
		return !pmu_hidden && (idx == PMCR || idx == PMCNTENSET || idx == PMSELR ||
				       idx == PMCCNTR || idx == PMUSERENR || idx == PMOVSSET ||
				       idx == PMINTENSET || (op1 == 3 && crn == 14));
	/* the timers' counts and TVALs move on their own (the SPE registers readable at all are
	   kestrel's to trap); the timers' CVALs hold */
	if (op0 == 3 && op1 == 3 && (crn == 9 || crn == 14))
		return crn == 14 && (crm == 2 || crm == 3) && op2 == 2;
	return true;
}

static uint64_t residue_read(unsigned k)
{
	uint64_t v = 0;

	el1_access(&residue_code[4 * k], residue_idx[k], true, &v);
	return v;
}

static void residue_write(unsigned k, uint64_t v)
{
	el1_access(&residue_code[4 * k + 2], residue_idx[k], false, &v);
}

/*
 * The registers this VM can write and read back unchanged: each is written the value it
 * holds (which cannot hurt) and read back twice. The late ones go at the end of the list.
 */
static void residue_setup(void)
{
	/* The PMU stopped, so that its counts hold (the random writes may have started it). */
	if (!pmu_hidden) {
		write_sysreg(pmcr_el0, 0);
		isb();
	}
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < NR_ENC && nresidue < MAX_RESIDUE; i++) {
			int pos = extra_pos(i);
			bool is_late = pos >= (int)(ARRAY_LEN(residue_extra) - RESIDUE_LATE);
			if (!residue_candidate(i) || is_late != (pass == 1))
				continue;
			uint32_t *c = &residue_code[4 * nresidue];
			c[0] = MRS(i);
			c[1] = INSN_RET;
			c[2] = MSR(i);
			c[3] = INSN_RET;
			residue_idx[nresidue++] = (uint16_t)i;
		}
	write_stubs(residue_code, nresidue * 4);

	unsigned kept = 0;
	nlate = 0;
	for (unsigned k = 0; k < nresidue; k++) {
		unsigned idx = residue_idx[k];
		uint64_t v = 0, a = 0, b = 0, w;
		bool ok = el1_access(&residue_code[4 * k], idx, true, &v);
		w = v;
		ok = ok && el1_access(&residue_code[4 * k + 2], idx, false, &w) &&
		     el1_access(&residue_code[4 * k], idx, true, &a) &&
		     el1_access(&residue_code[4 * k], idx, true, &b) && a == v && b == v;
		if (!ok)
			continue;
		residue_idx[kept] = (uint16_t)idx;
		residue_own[kept] = v;
		residue_code[4 * kept] = MRS(idx);
		residue_code[4 * kept + 2] = MSR(idx);
		if (extra_pos(idx) >= (int)(ARRAY_LEN(residue_extra) - RESIDUE_LATE))
			nlate++;
		kept++;
	}
	nresidue = kept;
	write_stubs(residue_code, nresidue * 4);
}

static void residue_list(void)
{
	for (unsigned k = 0; k < nresidue; k++) {
		char name[24];
		if (k % 5 == 0)
			printf("%ssysreg: residue checked:", k ? "\n" : "");
		name_of(residue_idx[k], name);
		printf(" %s", name);
	}
	if (nresidue)
		printf("\n");
	printf("sysreg: residue checked: v0-v31\n");
	if (sve_shown)
		printf("sysreg: residue checked: z0-z31 p0-p15 ffr ZCR_EL1\n");
}

/* The SVE registers' markers (sve_shown): Z0-Z31, P0-P15, then FFR (monotonic: WRFFR). */
static _Alignas(256) uint8_t sve_want_z[32 * SVE_VL_MAX], sve_got_z[32 * SVE_VL_MAX];
static _Alignas(256) uint8_t sve_want_p[17 * SVE_VL_MAX / 8], sve_got_p[17 * SVE_VL_MAX / 8];
static uint64_t sve_vl, sve_zcr;

/* ZCR_EL1 (and so the vector length) and every register get this round's markers; v0-v31,
   the low 128 bits of Z0-Z31, are in fp_want too. */
static void sve_markers(uint64_t seed, uint64_t fp_want[64])
{
	uint64_t r = seed ^ (residue_rounds << 16);
	unsigned pl, ffr_bits;

	sve_zcr_write(mix64(r ^ 0x2c5) & 0xf);
	sve_zcr = sve_zcr_read();
	sve_vl = sve_rdvl();
	pl = (unsigned)sve_vl / 8;
	for (unsigned i = 0; i < 32 * sve_vl; i += 8) {
		uint64_t v = mix64(r ^ (0x5000000 + i));
		for (unsigned b = 0; b < 8; b++)
			sve_want_z[i + b] = (uint8_t)(v >> (8 * b));
	}
	for (unsigned i = 0; i < 16 * pl; i++)
		sve_want_p[i] = (uint8_t)mix64(r ^ (0x6000000 + i));
	ffr_bits = 1 + (unsigned)(mix64(r ^ 0xff2) % (8 * pl));
	for (unsigned i = 0; i < pl; i++) {
		unsigned set = ffr_bits > 8 * i ? ffr_bits - 8 * i : 0;
		sve_want_p[16 * pl + i] = set >= 8 ? 0xff : (uint8_t)((1u << set) - 1);
	}
	sve_fill(sve_want_z, sve_want_p);
	for (unsigned n = 0; n < 32; n++)
		for (unsigned h = 0; h < 2; h++) {
			uint64_t w = 0;
			for (unsigned b = 0; b < 8; b++)
				w |= (uint64_t)sve_want_z[n * sve_vl + 8 * h + b] << (8 * b);
			fp_want[2 * n + h] = w;
		}
}

/* How many of the SVE registers (and ZCR_EL1, the vector length) lost their markers. */
static unsigned sve_changed(void)
{
	unsigned pl = (unsigned)sve_vl / 8, bad = 0;
	uint64_t zcr = sve_zcr_read(), vl = sve_rdvl();

	if (zcr != sve_zcr || vl != sve_vl) {
		bad++;
		if (shown++ < MAX_SHOWN)
			printf("FAIL - ZCR_EL1 0x%lx (vector length %lu bytes) became 0x%lx (%lu) "
			       "in %u "
			       "ms\n",
			       sve_zcr, sve_vl, zcr, vl, RESIDUE_WAIT_MS);
		return bad; /* the registers' bits beyond a changed length are UNKNOWN */
	}
	sve_dump(sve_got_z, sve_got_p);
	for (unsigned r = 0; r < 49; r++) {
		const uint8_t *want = r < 32 ? &sve_want_z[r * sve_vl] : &sve_want_p[(r - 32) * pl];
		const uint8_t *got = r < 32 ? &sve_got_z[r * sve_vl] : &sve_got_p[(r - 32) * pl];
		unsigned size = r < 32 ? (unsigned)sve_vl : pl;
		for (unsigned i = 0; i < size; i++)
			if (want[i] != got[i]) {
				bad++;
				if (shown++ < MAX_SHOWN)
					printf(
					    "FAIL - %s%u byte %u changed from 0x%02x to 0x%02x in "
					    "%u ms\n",
					    r < 32   ? "z"
					    : r < 48 ? "p"
						     : "ffr",
					    r < 32   ? r
					    : r < 48 ? r - 32
						     : 0,
					    i, want[i], got[i], RESIDUE_WAIT_MS);
				break;
			}
	}
	return bad;
}

/*
 * One round: a marker of this VM's into every register (what reads back is what it must
 * keep), ~30 ms of waiting in which the scheduler runs whatever else shares the CPU, then
 * every register read again. The late ones get their own values back before the check.
 */

static void residue_round(uint64_t seed)
{
	static uint64_t expect[MAX_RESIDUE], got[MAX_RESIDUE];
	static uint64_t fp_want[64], fp_got[64];

	/* The vector registers first and last, while CPACR_EL1 lets FP/SIMD and SVE through. */
	if (sve_shown) {
		sve_markers(seed, fp_want);
	} else {
		for (unsigned i = 0; i < 64; i++)
			fp_want[i] = mix64(seed ^ (0xf000 + i) ^ (residue_rounds << 16));
		fp_fill(fp_want);
	}
	for (unsigned k = 0; k < nresidue; k++) {
		uint64_t marker = mix64(seed ^ residue_idx[k] ^ (residue_rounds << 16));
		/*
		 * The binary point registers get a value of their 3-bit field only: QEMU takes a
		 * write with higher bits set without raising it to the minimum binary point, and
		 * raises it only when the hypervisor restores ICH_VMCR_EL2, which would look like
		 * a change from outside.
		 */
		if (residue_idx[k] == ICC_BPR0 || residue_idx[k] == ICC_BPR1)
			marker &= 7;
		/* The active-priority registers are 32 bits (QEMU reads back a bit 63 written
		   until the hypervisor restores them); ICC_CTLR_EL1.CBPR would make ICC_BPR1_EL1
		   read as ICC_BPR0_EL1 + 1, a change made by this VM itself. */
		if (is_apr(residue_idx[k]))
			marker &= 0xffffffffu;
		if (residue_idx[k] == ICC_CTLR)
			marker &= ~1ull;
		/* PMCR_EL0: never E (the counts would move), P or C (they would be zeroed). */
		if (residue_idx[k] == PMCR)
			marker &= ~7ull;
		/* With SVE trapped at EL1 its vector length there counts as 128 bits, and the
		   bits of Z above them may be zeroed at the next change of exception level
		   (QEMU does): a change the VM would make itself. */
		if (residue_idx[k] == CPACR && sve_shown)
			marker |= CPACR_EL1_ZEN;
		residue_write(k, marker);
		expect[k] = residue_read(k);
	}
	uint64_t until = ms_now() + RESIDUE_WAIT_MS;
	while (ms_now() < until)
		;
	for (unsigned k = nresidue; k-- > 0;) {
		got[k] = residue_read(k);
		if (k >= nresidue - nlate)
			residue_write(k, residue_own[k]);
	}
	fp_save(fp_got); /* with SVE, the FP trap must bring the SVE state */
	if (sve_shown) {
		unsigned bad = sve_changed();
		residue_changed += bad;
		if (bad)
			test_fail();
	}
	for (unsigned i = 0; i < 64; i++) {
		if (fp_got[i] == fp_want[i])
			continue;
		residue_changed++;
		test_fail();
		if (shown++ < MAX_SHOWN)
			printf("FAIL - v%u.d[%u] changed from 0x%lx to 0x%lx in %u ms\n", i / 2,
			       i % 2, fp_want[i], fp_got[i], RESIDUE_WAIT_MS);
	}
	for (unsigned k = 0; k < nresidue; k++) {
		if (got[k] == expect[k])
			continue;
		char name[24];
		residue_changed++;
		test_fail();
		if (shown++ < MAX_SHOWN) {
			name_of(residue_idx[k], name);
			printf("FAIL - %s changed from 0x%lx to 0x%lx in %u ms: not kept for this "
			       "VM\n",
			       name, expect[k], got[k], RESIDUE_WAIT_MS);
		}
	}
	residue_rounds++;
}

int main(const void *dtb)
{
	uint64_t run_ms = bootarg("run-ms", 0), start = ms_now();
	unsigned nwrites = (unsigned)bootarg("writes", 5000), nel0 = (unsigned)bootarg("el0", 4000);
	struct rng rng = {mix64(bootarg("seed", 1) ^ read_sysreg(cntvct_el0))};
	uint64_t isar1 = read_sysreg(id_aa64isar1_el1), isar2 = read_sysreg(id_aa64isar2_el1);
	(void)dtb;

	if (nwrites > MAX_WRITES)
		nwrites = MAX_WRITES;
	if (nel0 > MAX_EL0)
		nel0 = MAX_EL0;
	/* APA, API, GPA, GPI; APA3, GPA3. */
	pauth_hidden = !(isar1 & 0xff000ff0ull) && !(isar2 & 0xff00ull);
	pmu_hidden = field(read_sysreg(id_aa64dfr0_el1), 8, 4) == 0;
	sve_shown = field(read_sysreg(id_aa64pfr0_el1), 32, 4) != 0;
	printf("sysreg: pointer authentication %s, PMU %s, SVE %s\n",
	       pauth_hidden ? "hidden" : "shown", pmu_hidden ? "hidden" : "shown",
	       sve_shown ? "shown" : "hidden");

	read_sweep();
	printf("sysreg: %u MRS encodings at EL1 in %lu ms: %lu worked, %lu UNDEFINED\n", NR_ENC,
	       ms_now() - start, oks, undefs);
	write_fuzz(&rng, nwrites);
	printf("sysreg: %u random MSRs at EL1 done (%lu ms)\n", nwrites, ms_now() - start);
	el0_fuzz(&rng, nel0);
	printf("sysreg: %lu accesses at EL0: %lu worked, %lu trapped (%lu ms)\n", el0_cases, el0_ok,
	       el0_trapped, ms_now() - start);

	aarch32_el0();
	/* The random writes may have set the OS lock or double lock, under which the debug
	   registers are kestrel's storage: unlocked, they are the CPU's own, switched with the
	   vCPU, which is what the residue check is for. */
	write_sysreg(oslar_el1, 0);
	write_sysreg(osdlr_el1, 0);
	isb();
	if (sve_shown) { /* its own CPACR_EL1, kept by residue_setup */
		write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_EL1_ZEN);
		isb();
	}
	residue_setup();
	residue_list();
	uint64_t seed = mix64(bootarg("seed", 1) << 32 ^ 0x7e51d0e);
	do
		residue_round(seed);
	while (ms_now() - start < run_ms);
	unsigned kept = nresidue;

	cases += el0_cases;
	undefs += el0_trapped;
	oks += el0_ok;
	check(read_sysreg(mpidr_el1) >> 31 & 1, "still running: MPIDR_EL1 0x%lx",
	      read_sysreg(mpidr_el1));
	printf("HOSTILE: sysreg cases %lu undef %lu ok %lu\n", cases, undefs, oks);
	printf("HOSTILE: residue registers %u rounds %lu changed %lu\n",
	       kept + 32 + (sve_shown ? 50 : 0), residue_rounds, residue_changed);
	check(cases == undefs + oks, "every access worked or was UNDEFINED");
	check(residue_changed == 0, "no register changed while other VMs ran: %u registers kept",
	      kept);
	test_finish();
}
