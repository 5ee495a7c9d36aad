/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hvc_fuzz: hypercalls with whatever a guest can put in its registers. Boot with 2 vCPUs.
 *
 * Every call goes through a stub written at run time ("hvc #imm" or "smc #imm", then "ret")
 * with x0-x28 loaded from an array and stored back after, so every register kestrel could
 * have touched is seen. For each call the answer must be the architected one, computed here
 * from SMCCC 1.1 and PSCI 1.1 for what kestrel offers (SMCCC_VERSION and ARCH_FEATURES,
 * PSCI 1.1, its doorbell 0x86000001): a value for a legitimate call, otherwise an error code
 * (-1 NOT_SUPPORTED, -2 INVALID_PARAMETERS, -4 ALREADY_ON, -5 ON_PENDING, -9
 * INVALID_ADDRESS). x4-x28 must come back as they went (SMCCC 1.1), x1-x3 unchanged or zero.
 *
 * 1. Random calls, through HVC #0 and SMC #0: random function ids (every owner, fast and
 *    yielding, SMC32 and SMC64, junk in the upper half of x0) and random arguments. Left out:
 *    the calls that would stop or suspend this VM (CPU_SUSPEND, CPU_OFF, SYSTEM_OFF,
 *    SYSTEM_RESET, SYSTEM_RESET2, SYSTEM_SUSPEND, CPU_FREEZE, CPU_DEFAULT_SUSPEND, in both
 *    forms) and CPU_ON (part 3).
 * 2. HVC and SMC with non-zero immediates: not SMCCC calls, NOT_SUPPORTED.
 * 3. PSCI CPU_ON for vCPU 1 with wild entry points (INVALID_ADDRESS), with wild MPIDRs
 *    (INVALID_PARAMETERS unless the affinity names a vCPU of this VM), and 100 real starts,
 *    each followed by a second CPU_ON while vCPU 1 is on its way (ALREADY_ON or ON_PENDING);
 *    vCPU 1 records its context id and turns itself off.
 * 4. The shared-memory doorbell with random region ids: this VM is a member of no region,
 *    so INVALID_PARAMETERS every time.
 * 5. CPU_SUSPEND (standby) with the virtual timer armed: it must return once the timer fires.
 *
 * Part 1 repeats until run-ms= has passed. call=ID (with x1=, x2=, x3=) makes one call of
 * that function id first and prints its answer, to look at one call alone. Prints "HOSTILE:
 * hypercall cases N errors E", E being the calls that returned an error code.
 */
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define NREGS	      29
#define NSTUBS	      64
#define INSN_HVC(imm) (0xd4000002u | ((uint32_t)(imm) << 5))
#define INSN_SMC(imm) (0xd4000003u | ((uint32_t)(imm) << 5))
#define INSN_RET      0xd65f03c0u
#define FN_64	      0x40000000u
#define FN_FAST	      0x80000000u
#define DOORBELL      0x86000001u
/* Function ids in their SMC32 form; "| FN_64" gives the SMC64 one. */
#define F_PSCI_VERSION	0x84000000u
#define F_CPU_SUSPEND	0x84000001u
#define F_CPU_OFF	0x84000002u
#define F_CPU_ON	0x84000003u
#define F_AFFINITY_INFO 0x84000004u
#define F_MIGRATE_INFO	0x84000006u
#define F_SYSTEM_OFF	0x84000008u
#define F_SYSTEM_RESET	0x84000009u
#define F_PSCI_FEATURES 0x8400000au
#define AFF_MASK	0xff00ffffffull
#define MAX_SHOWN	24
#define VCPU1_SLOT	1ull
#define RANDOM_BATCH	1000
#define PSCI_ON_PENDING (-5)

void hvc_raw(uint64_t regs[NREGS], const uint32_t *stub);

/* Stub 0: hvc #0, stub 1: smc #0, then HVC and SMC with random non-zero immediates. */
static uint32_t stubs[NSTUBS * 2] __attribute__((aligned(64)));
static uint16_t stub_imm[NSTUBS];

static unsigned long cases, errors, shown;
static uint64_t mpidr_vcpu[2];

static volatile uint64_t vcpu1_runs, vcpu1_context;

void secondary_main(uint64_t context)
{
	vcpu1_context = context;
	dsb_sy();
	vcpu1_runs = vcpu1_runs + 1;
	dsb_sy();
	/* Returning turns this vCPU off (start.S). */
}

/* One call: x0-x3 as given, x4-x28 filled with values to recognise; false if the registers
   came back other than SMCCC 1.1 allows. */
static bool call(unsigned stub, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3, int64_t *ret)
{
	uint64_t r[NREGS], in[NREGS];
	bool regs_ok = true;

	in[0] = x0, in[1] = x1, in[2] = x2, in[3] = x3;
	for (unsigned i = 4; i < NREGS; i++)
		in[i] = mix64(x0 ^ (i * 0x1000193ull));
	for (unsigned i = 0; i < NREGS; i++)
		r[i] = in[i];
	hvc_raw(r, &stubs[2 * stub]);
	cases++;
	for (unsigned i = 1; i < NREGS; i++)
		if (r[i] != in[i] && !(i <= 3 && r[i] == 0))
			regs_ok = false;
	*ret = (int64_t)r[0];
	if ((int64_t)r[0] < 0)
		errors++;
	return regs_ok;
}

static void report(const char *what, uint64_t fid, uint64_t a1, int64_t got, const char *want)
{
	test_fail();
	if (shown++ < MAX_SHOWN)
		printf("FAIL - %s 0x%lx (x1 0x%lx): returned %ld, expected %s\n", what, fid, a1,
		       got, want);
}

/* ---- what kestrel must answer ---- */

static bool psci_offered(uint32_t fid)
{
	switch (fid) {
	case F_PSCI_VERSION:
	case F_CPU_SUSPEND:
	case F_CPU_SUSPEND | FN_64:
	case F_CPU_OFF:
	case F_CPU_ON:
	case F_CPU_ON | FN_64:
	case F_AFFINITY_INFO:
	case F_AFFINITY_INFO | FN_64:
	case F_MIGRATE_INFO:
	case F_SYSTEM_OFF:
	case F_SYSTEM_RESET:
	case F_PSCI_FEATURES:
	case SMCCC_VERSION: /* announced through PSCI_FEATURES: that is how guests find 1.1 */
		return true;
	default:
		return false;
	}
}

static int vcpu_of(uint64_t mpidr)
{
	for (unsigned i = 0; i < boot_info.num_cpus && i < 2; i++)
		if ((mpidr & AFF_MASK) == (mpidr_vcpu[i] & AFF_MASK))
			return (int)i;
	return -1;
}

/*
 * Whether ret is the architected answer to (fid, a1, a2) while vCPU 1 is off. Function ids
 * are W0 (the upper half of x0 is not part of them); SMC32 arguments are W registers.
 */
static bool answer_ok(uint32_t fid, uint64_t a1, uint64_t a2, int64_t ret, const char **want)
{
	bool is64 = fid & FN_64;
	uint64_t w1 = is64 ? a1 : (uint32_t)a1, w2 = is64 ? a2 : (uint32_t)a2;
	int target;

	*want = "-1 (NOT_SUPPORTED)";
	switch (fid) {
	case SMCCC_VERSION:
	case F_PSCI_VERSION:
		*want = "0x10001";
		return ret == 0x10001;
	case SMCCC_ARCH_FEATURES:
		/* SMCCC_VERSION and ARCH_FEATURES itself are the arch calls kestrel has. Whether
		   the upper half of x1 counts for an SMC32 call is left open here. */
		*want = "0 for SMCCC_VERSION/ARCH_FEATURES, else -1";
		return ret ==
			   (((uint32_t)a1 == SMCCC_VERSION || (uint32_t)a1 == SMCCC_ARCH_FEATURES)
				? 0
				: -1) ||
		       ret == ((a1 == SMCCC_VERSION || a1 == SMCCC_ARCH_FEATURES) ? 0 : -1);
	case F_MIGRATE_INFO:
		*want = "2 (migration not required)";
		return ret == 2;
	case F_PSCI_FEATURES:
		*want = psci_offered((uint32_t)w1) ? "0" : "-1 (NOT_SUPPORTED)";
		return ret == (psci_offered((uint32_t)w1) ? 0 : -1);
	case F_AFFINITY_INFO:
	case F_AFFINITY_INFO | FN_64:
		target = vcpu_of(w1);
		if (target < 0 || w2 != 0) {
			*want = "-2 (INVALID_PARAMETERS)";
			return ret == -2;
		}
		*want = target == 0 ? "0 (ON)" : "1 (OFF)";
		return ret == (target == 0 ? 0 : 1);
	case DOORBELL:
		*want = "-2 (INVALID_PARAMETERS): no region of its own";
		return ret == -2;
	default:
		return ret == -1;
	}
}

/* Calls that would stop, suspend or reset this VM, or start vCPU 1 (part 3's business). */
static bool left_out(uint32_t fid)
{
	switch (fid & ~FN_64) {
	case F_CPU_SUSPEND:
	case F_CPU_OFF:
	case F_CPU_ON:
	case F_SYSTEM_OFF:
	case F_SYSTEM_RESET:
	case 0x8400000bu: /* CPU_FREEZE */
	case 0x8400000cu: /* CPU_DEFAULT_SUSPEND */
	case 0x8400000eu: /* SYSTEM_SUSPEND */
	case 0x84000012u: /* SYSTEM_RESET2 */
		return true;
	default:
		return false;
	}
}

static uint32_t random_fid(struct rng *rng)
{
	static const uint32_t known[] = {
	    SMCCC_VERSION,  SMCCC_ARCH_FEATURES, F_PSCI_VERSION, F_AFFINITY_INFO,
	    F_MIGRATE_INFO, F_PSCI_FEATURES,	 DOORBELL,	 0xc5000020u, /* PV time */
	    0x8600ff01u,    0x8600ff03u,	 0x82000000u,	 0xbf00ff01u,
	};
	static const uint8_t owners[] = {0, 1, 2, 3, 4, 5, 6, 48, 49, 50, 63};
	uint32_t fid;

	switch (rng_below(rng, 4)) {
	case 0:
		fid = (uint32_t)rng_next(rng);
		break;
	case 1:
		fid = known[rng_below(rng, ARRAY_LEN(known))];
		if (rng_below(rng, 4) == 0)
			fid ^= FN_64;
		break;
	default:
		fid = ((uint32_t)owners[rng_below(rng, sizeof(owners))] << 24) |
		      (uint32_t)rng_below(rng, 0x20);
		if (rng_below(rng, 8))
			fid |= FN_FAST;
		if (rng_below(rng, 2))
			fid |= FN_64;
		if (rng_below(rng, 16) == 0)
			fid |= (uint32_t)rng_below(rng, 256) << 16; /* reserved bits set */
		break;
	}
	return fid;
}

static uint64_t random_arg(struct rng *rng)
{
	switch (rng_below(rng, 6)) {
	case 0:
		return 0;
	case 1:
		return rng_below(rng, 4);
	case 2:
		return mpidr_vcpu[rng_below(rng, 2)] |
		       (rng_below(rng, 2) ? 0xffffffff00000000ull : 0);
	case 3:
		return SMCCC_VERSION + rng_below(rng, 3);
	case 4:
		return 0x84000000u + rng_below(rng, 0x20) + (rng_below(rng, 2) ? FN_64 : 0);
	default:
		return rng_next(rng);
	}
}

/* Part 1: one batch of random calls. */
static void random_calls(struct rng *rng, unsigned n)
{
	static uint32_t reported[32];
	static unsigned nreported;

	for (unsigned k = 0; k < n; k++) {
		uint32_t fid;
		do
			fid = random_fid(rng);
		while (left_out(fid));
		uint64_t x0 = fid | (rng_below(rng, 4) ? 0 : rng_next(rng) << 32);
		uint64_t a1 = random_arg(rng), a2 = random_arg(rng), a3 = random_arg(rng);
		const char *want;
		int64_t ret;
		bool regs_ok = call((unsigned)rng_below(rng, 2), x0, a1, a2, a3, &ret);

		if (!regs_ok)
			report("registers other than x0-x3 changed by", x0, a1, ret, "x4-x28 kept");
		if (!answer_ok(fid, a1, a2, ret, &want)) {
			/* One report per function id is enough. */
			bool seen = false;
			for (unsigned i = 0; i < nreported; i++)
				seen |= reported[i] == fid;
			if (seen) {
				test_fail();
				continue;
			}
			if (nreported < ARRAY_LEN(reported))
				reported[nreported++] = fid;
			report("function", fid, a1, ret, want);
		}
	}
}

/* Part 2: HVC/SMC #imm, imm != 0. */
static void immediates(struct rng *rng)
{
	for (unsigned s = 2; s < NSTUBS; s++)
		for (unsigned k = 0; k < 4; k++) {
			uint32_t fid = k ? (uint32_t)rng_next(rng) : SMCCC_VERSION;
			int64_t ret;
			bool regs_ok = call(s, fid, rng_next(rng), 0, 0, &ret);
			if (!regs_ok || ret != -1) {
				test_fail();
				if (shown++ < MAX_SHOWN)
					printf("FAIL - %s #0x%x with x0 0x%x: returned %ld%s, "
					       "expected "
					       "-1\n",
					       s % 2 ? "smc" : "hvc", stub_imm[s], fid, ret,
					       regs_ok ? "" : " and changed x1-x28");
			}
		}
}

static int64_t psci(unsigned stub, uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	int64_t ret;

	if (!call(stub, fid, a1, a2, a3, &ret))
		report("registers other than x0-x3 changed by", fid, a1, ret, "x4-x28 kept");
	return ret;
}

static bool wait_vcpu1_off(void)
{
	uint64_t until = ms_now() + 5000;

	while (ms_now() < until)
		if (psci(0, F_AFFINITY_INFO | FN_64, mpidr_vcpu[1], 0, 0) == PSCI_AFFINITY_OFF)
			return true;
	return false;
}

/* Part 3. */
static void cpu_on_tests(struct rng *rng)
{
	uint64_t base = boot_info.mem_base, end = base + boot_info.mem_size;
	uint64_t good = entry_ipa(secondary_entry);
	const uint64_t wild[] = {
	    0,
	    1,
	    2,
	    base - 4,
	    base + 2,
	    end,
	    end - 2,
	    end + 0x1000,
	    0x08000000,
	    0x09000000,
	    end + 0x200000,
	    1ull << 48,
	    ~0ull,
	    ~0ull - 3,
	    0x8000000000ull,
	    good + 1,
	    good + 2,
	    good | 1ull << 63,
	};
	unsigned starts = 0;

	if (!check(boot_info.num_cpus >= 2 && wait_vcpu1_off(), "vCPU 1 exists and is off"))
		return;
	for (unsigned i = 0; i < ARRAY_LEN(wild); i++) {
		int64_t ret = psci(i % 2, F_CPU_ON | FN_64, mpidr_vcpu[1], wild[i], VCPU1_SLOT);
		if (ret != PSCI_INVALID_ADDRESS)
			report("CPU_ON vCPU 1 at entry", wild[i], mpidr_vcpu[1], ret,
			       "-9 (INVALID_ADDRESS)");
		if (ret == PSCI_SUCCESS)
			wait_vcpu1_off();
	}
	/* SMC32 CPU_ON: the entry point is a W register, so a junk upper half is dropped. */
	int64_t ret = psci(0, F_CPU_ON, mpidr_vcpu[1], good | 0xdead00000000ull, VCPU1_SLOT);
	if (ret == PSCI_SUCCESS) {
		starts++;
		wait_vcpu1_off();
	} else {
		report("SMC32 CPU_ON vCPU 1 (entry with a junk upper half)", good, mpidr_vcpu[1],
		       ret, "0");
	}

	for (unsigned i = 0; i < 200; i++) {
		uint64_t mpidr = rng_next(rng);
		switch (i % 4) {
		case 0:
			mpidr &= 0xff00ffffffull; /* affinity fields only */
			break;
		case 1:
			mpidr = mpidr_vcpu[0] ^ (1ull << rng_below(rng, 40)); /* one bit off */
			break;
		case 2:
			mpidr = (mpidr & ~0xffull) | rng_below(rng, 4);
			break;
		default:
			break;
		}
		int target = vcpu_of(mpidr);
		int64_t want = target < 0    ? PSCI_INVALID_PARAMETERS
			       : target == 0 ? PSCI_ALREADY_ON
					     : PSCI_SUCCESS;
		ret = psci(i % 2, F_CPU_ON | FN_64, mpidr, good, VCPU1_SLOT);
		if (ret != want)
			report("CPU_ON for MPIDR", mpidr, good, ret,
			       target < 0    ? "-2 (INVALID_PARAMETERS)"
			       : target == 0 ? "-4 (ALREADY_ON)"
					     : "0");
		if (ret == PSCI_SUCCESS) {
			starts++;
			wait_vcpu1_off();
		}
	}

	uint64_t runs_before = vcpu1_runs;
	unsigned again_ok = 0, real = 0;
	for (unsigned i = 0; i < 100; i++) {
		uint64_t ctx = VCPU1_SLOT | (uint64_t)(i + 1) << 8;
		if (!wait_vcpu1_off())
			break;
		ret = psci(i % 2, F_CPU_ON | FN_64, mpidr_vcpu[1], good, ctx);
		if (ret != PSCI_SUCCESS) {
			report("CPU_ON vCPU 1 (off)", good, ctx, ret, "0");
			continue;
		}
		real++;
		/* At once again: on its way, on, or (rarely) already off again. */
		ret = psci((i + 1) % 2, F_CPU_ON | FN_64, mpidr_vcpu[1], good, ctx);
		if (ret == PSCI_ON_PENDING || ret == PSCI_ALREADY_ON)
			again_ok++;
		else if (ret == PSCI_SUCCESS)
			real++; /* it had turned itself off already: a real start too */
		else
			report("second CPU_ON vCPU 1", good, ctx, ret, "-4, -5 (or 0)");
		if (!wait_vcpu1_off())
			break;
		dsb_sy();
		if (vcpu1_runs - runs_before != real ||
		    (vcpu1_context & 0xffffff) != (ctx & 0xffffff))
			report("vCPU 1 ran with context", vcpu1_context, ctx,
			       (int64_t)(vcpu1_runs - runs_before),
			       "one run per start, with its own context");
	}
	check(wait_vcpu1_off(), "vCPU 1 is off at the end");
	printf("hvc: CPU_ON: %u wild entry points, %u starts from wild MPIDRs, %u real starts\n",
	       (unsigned)ARRAY_LEN(wild), starts, real);
	printf("hvc: CPU_ON again at once: %u ALREADY_ON or ON_PENDING\n", again_ok);
	check(vcpu1_runs - runs_before == real, "vCPU 1 ran %lu times for %u starts",
	      vcpu1_runs - runs_before, real);
}

/* Part 4. */
static void doorbells(struct rng *rng)
{
	for (unsigned i = 0; i < 500; i++) {
		uint64_t region = i < 64	      ? i
				  : rng_below(rng, 2) ? rng_next(rng)
						      : rng_below(rng, 1024);
		int64_t ret = psci(i % 2, DOORBELL, region, rng_next(rng), 0);
		if (ret != PSCI_INVALID_PARAMETERS)
			report("doorbell for region", region, 0, ret, "-2 (INVALID_PARAMETERS)");
	}
}

/* Part 5. */
static volatile unsigned timer_irqs;

static void on_irq(unsigned intid)
{
	if (intid == GIC_PPI_VIRT_TIMER) {
		write_sysreg(cntv_ctl_el0, 0);
		isb();
		timer_irqs = timer_irqs + 1;
	}
}

static void suspend_test(void)
{
	if (!check(gic_dist_init() && gic_cpu_init(), "GIC up for the CPU_SUSPEND test"))
		return;
	gic_set_irq_hook(on_irq);
	gic_enable(GIC_PPI_VIRT_TIMER);
	uint64_t deadline = counter_now() + counter_freq() / 200; /* 5 ms */
	write_sysreg(cntv_cval_el0, deadline);
	write_sysreg(cntv_ctl_el0, 1);
	isb();
	int64_t ret = psci(0, F_CPU_SUSPEND, 0, 0, 0); /* standby, IRQs masked */
	uint64_t woke = counter_now();
	check(ret == 0 && woke >= deadline,
	      "CPU_SUSPEND (standby) returned %ld once the timer fired (%ld ticks after)", ret,
	      (int64_t)(woke - deadline));
	irq_unmask();
	uint64_t until = ms_now() + 1000;
	while (!timer_irqs && ms_now() < until)
		;
	irq_mask();
	check(timer_irqs == 1, "the timer interrupt that ended it was then taken: %u", timer_irqs);
}

int main(const void *dtb)
{
	uint64_t run_ms = bootarg("run-ms", 0), start = ms_now();
	struct rng rng = {mix64(bootarg("seed", 7) ^ read_sysreg(cntvct_el0))};
	unsigned batches = 0;
	(void)dtb;

	mpidr_vcpu[0] = boot_info.cpu_mpidr[0];
	mpidr_vcpu[1] = boot_info.num_cpus > 1 ? boot_info.cpu_mpidr[1] : ~0ull;
	stubs[0] = INSN_HVC(0);
	stubs[2] = INSN_SMC(0);
	for (unsigned s = 2; s < NSTUBS; s++) {
		stub_imm[s] = (uint16_t)(1 + rng_below(&rng, 0xffff));
		stubs[2 * s] = s % 2 ? INSN_SMC(stub_imm[s]) : INSN_HVC(stub_imm[s]);
	}
	for (unsigned s = 0; s < NSTUBS; s++)
		stubs[2 * s + 1] = INSN_RET;
	sync_icache(stubs, ARRAY_LEN(stubs));

	if (bootarg("call", 0)) {
		/* call=ID: one call of that function id first, to look at one answer alone. */
		int64_t ret;
		uint64_t id = bootarg("call", 0);
		printf("hvc: calling 0x%lx\n", id);
		call(0, id, bootarg("x1", 0), bootarg("x2", 0), bootarg("x3", 0), &ret);
		printf("hvc: 0x%lx returned %ld\n", id, ret);
	}
	immediates(&rng);
	cpu_on_tests(&rng);
	doorbells(&rng);
	suspend_test();
	do {
		random_calls(&rng, RANDOM_BATCH);
		batches++;
	} while (ms_now() - start < run_ms);
	printf("hvc: %u random calls through HVC #0 and SMC #0\n", batches * RANDOM_BATCH);

	printf("HOSTILE: hypercall cases %lu errors %lu\n", cases, errors);
	test_finish();
}
