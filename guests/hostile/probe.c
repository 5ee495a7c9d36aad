/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe: a VM that reaches for memory that is not its own. Its guest-physical map is QEMU
 * virt's, where its RAM (0x40000000 up) and the devices kestrel emulates (the GICv3
 * distributor and its redistributor frames, the PL011) are all there is: every other IPA,
 * whatever the machine has there (RAM holding kestrel and the other VMs, the RTC, virtio,
 * the ITS, PCIe), must be unmapped in its stage 2. Each access to one must end in exactly one
 * synchronous external abort (EC 0x25 data, 0x21 fetch; DFSC/IFSC 0x10, FAR = the address),
 * or, above the IPA size its ID_AA64MMFR0_EL1.PARange announces, possibly in an address size
 * fault at stage 1 (its MMU is off, so the CPU checks the address against the physical
 * address size before stage 2 sees it). No load may return data from such an address.
 *
 * The cases: loads, stores and fetches over 0..4 GiB in 2 MiB steps (which covers where the
 * machine's RAM is, hence kestrel and the victim), 4 GiB..1 TiB in 1 GiB steps, 1 TiB..256 TiB
 * in 1 TiB steps, and a list of named addresses (around its RAM, devices it was not given,
 * the top of the IPA space, the top of the address space) with every access form that gives
 * kestrel no syndrome (ISV = 0: LDP/STP, writeback, exclusives, LSE atomics, SIMD) and a few
 * that do (acquire/release), a cache maintenance by VA and a prefetch (which never faults).
 * Its own RAM outside its image and DTB must read as zero: kestrel zeroes memory before a VM
 * gets it, so nothing of a previous owner can show. IPA 0x40200000, where kestrel itself sits
 * in the machine's physical map, is such RAM of its own.
 *
 * Prints "HOSTILE: memory cases N aborts A other O leaked L": A synchronous external aborts,
 * O other architected outcomes (address size faults, reads the emulated devices answer,
 * prefetches), L accesses that returned something they should not have. With run-ms= it
 * repeats the sweeps (the named list first) until that much time has passed.
 *
 * With range-base= and range-size= it loads from every 4 KiB page of that range instead of
 * the sweeps, as the very first thing it does: a VM given the VMID and the RAM of a VM that
 * just stopped, at another IPA, looks there for translations the old VM left in the TLBs
 * (the isolation-vmid-reuse case). Its own code, stack and prints touch as few pages as
 * possible before, so as not to evict what it is looking for.
 */
#include <stdarg.h>
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "gic.h"
#include "hostile.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define SENTINEL       0x5e5e5e5e5e5e5e5eull
#define MARK	       0xbadc0ffee0ddf00dull
#define MAX_SHOWN      24
#define FSC_ADDRSZ_MAX 0x03u /* address size fault, levels 0-3 (DFSC 0b0000LL) */

#define GICD_SIZE 0x10000ul
#define UART_BASE 0x09000000ul
#define UART_SIZE 0x1000ul

extern char _start[], _end[];

static uint64_t mem_base, mem_end, ipa_top;
static bool have_lse;
static unsigned long cases, aborts, others, leaked, failures_shown;

/* ---- single faulting instructions: resuming at ELR + 4 skips exactly the access ---- */

static __attribute__((noinline)) uint64_t op_ldr(uint64_t a)
{
	uint64_t v = SENTINEL;
	__asm__ __volatile__("ldr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static __attribute__((noinline)) uint64_t op_ldrb(uint64_t a)
{
	uint64_t v = SENTINEL;
	__asm__ __volatile__("ldrb %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static __attribute__((noinline)) uint64_t op_str(uint64_t a)
{
	__asm__ __volatile__("str %1, [%0]" : : "r"(a), "r"(MARK) : "memory");
	return SENTINEL;
}

static __attribute__((noinline)) uint64_t op_ldp(uint64_t a)
{
	uint64_t v0 = SENTINEL, v1 = SENTINEL;
	__asm__ __volatile__("ldp %0, %1, [%2]" : "+r"(v0), "+r"(v1) : "r"(a) : "memory");
	return v0 == SENTINEL && v1 == SENTINEL ? SENTINEL : v0 ^ v1;
}

static __attribute__((noinline)) uint64_t op_stp(uint64_t a)
{
	__asm__ __volatile__("stp %1, %1, [%0]" : : "r"(a), "r"(MARK) : "memory");
	return SENTINEL;
}

static __attribute__((noinline)) uint64_t op_ldr_pre(uint64_t a)
{
	uint64_t v = SENTINEL, base = a - 8;
	__asm__ __volatile__("ldr %0, [%1, #8]!" : "+r"(v), "+r"(base) : : "memory");
	/* After an abort the base register must not have been written back. */
	return base == a - 8 ? v : ~SENTINEL;
}

static __attribute__((noinline)) uint64_t op_str_post(uint64_t a)
{
	uint64_t base = a;
	__asm__ __volatile__("str %1, [%0], #8" : "+r"(base) : "r"(MARK) : "memory");
	return base == a ? SENTINEL : ~SENTINEL;
}

static __attribute__((noinline)) uint64_t op_ldxr(uint64_t a)
{
	uint64_t v = SENTINEL;
	__asm__ __volatile__("ldxr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static __attribute__((noinline)) uint64_t op_stxr(uint64_t a)
{
	uint64_t status = SENTINEL;
	__asm__ __volatile__("stxr %w0, %2, [%1]" : "+r"(status) : "r"(a), "r"(MARK) : "memory");
	return status;
}

static __attribute__((noinline)) uint64_t op_ldar(uint64_t a)
{
	uint64_t v = SENTINEL;
	__asm__ __volatile__("ldar %0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static __attribute__((noinline)) uint64_t op_stlr(uint64_t a)
{
	__asm__ __volatile__("stlr %1, [%0]" : : "r"(a), "r"(MARK) : "memory");
	return SENTINEL;
}

static __attribute__((noinline)) uint64_t op_ldadd(uint64_t a)
{
	uint64_t v = SENTINEL;
	__asm__ __volatile__(".arch_extension lse\n\tldadd %2, %0, [%1]"
			     : "+r"(v)
			     : "r"(a), "r"(1ull)
			     : "memory");
	return v;
}

static __attribute__((noinline)) uint64_t op_swp(uint64_t a)
{
	uint64_t v = SENTINEL;
	__asm__ __volatile__(".arch_extension lse\n\tswp %2, %0, [%1]"
			     : "+r"(v)
			     : "r"(a), "r"(MARK)
			     : "memory");
	return v;
}

static __attribute__((noinline)) uint64_t op_cas(uint64_t a)
{
	uint64_t v = SENTINEL;
	__asm__ __volatile__(".arch_extension lse\n\tcas %0, %2, [%1]"
			     : "+r"(v)
			     : "r"(a), "r"(MARK)
			     : "memory");
	return v;
}

static __attribute__((noinline)) uint64_t op_ldr_q(uint64_t a)
{
	uint64_t v = SENTINEL;
	/* The vector register is filled with the sentinel first, read back after. */
	__asm__ __volatile__("fmov d0, %0\n\t"
			     "ldr q0, [%1]\n\t"
			     "fmov %0, d0"
			     : "+r"(v)
			     : "r"(a)
			     : "v0", "memory");
	return v;
}

static __attribute__((noinline)) uint64_t op_dc_civac(uint64_t a)
{
	__asm__ __volatile__("dc civac, %0" : : "r"(a) : "memory");
	return SENTINEL;
}

static __attribute__((noinline)) uint64_t op_prfm(uint64_t a)
{
	__asm__ __volatile__("prfm pldl1keep, [%0]" : : "r"(a) : "memory");
	return SENTINEL;
}

static __attribute__((noinline)) uint64_t op_fetch(uint64_t addr)
{
	exception_fetch_from(addr);
	return SENTINEL;
}

enum kind { LOAD, STORE, RMW, CMO, FETCH, HINT };

struct op {
	const char *name;
	uint64_t (*fn)(uint64_t);
	enum kind kind;
	bool lse;
};

static const struct op op_ldr_d = {"ldr", op_ldr, LOAD, false};
static const struct op op_str_d = {"str", op_str, STORE, false};
static const struct op op_fetch_d = {"fetch", op_fetch, FETCH, false};

/* Every form, used on the named addresses. */
static const struct op all_ops[] = {
    {"ldr", op_ldr, LOAD, false},
    {"ldrb", op_ldrb, LOAD, false},
    {"str", op_str, STORE, false},
    {"ldp", op_ldp, LOAD, false},
    {"stp", op_stp, STORE, false},
    {"ldr pre-index", op_ldr_pre, LOAD, false},
    {"str post-index", op_str_post, STORE, false},
    {"ldxr", op_ldxr, LOAD, false},
    {"stxr", op_stxr, STORE, false},
    {"ldar", op_ldar, LOAD, false},
    {"stlr", op_stlr, STORE, false},
    {"ldadd", op_ldadd, RMW, true},
    {"swp", op_swp, RMW, true},
    {"cas", op_cas, RMW, true},
    {"ldr q", op_ldr_q, LOAD, false},
    {"dc civac", op_dc_civac, CMO, false},
    {"prfm", op_prfm, HINT, false},
    {"fetch", op_fetch, FETCH, false},
};

/* ---- what each address is to this VM ---- */

enum region { FOREIGN, OWN_RAM, EMULATED };

static enum region region_of(uint64_t a)
{
	if (a >= mem_base && a < mem_end)
		return OWN_RAM;
	if ((a >= GICD_BASE && a < GICD_BASE + GICD_SIZE) ||
	    (a >= GICR_BASE && a < GICR_BASE + GICR_FRAME_STRIDE * boot_info.num_cpus) ||
	    (a >= UART_BASE && a < UART_BASE + UART_SIZE))
		return EMULATED;
	return FOREIGN;
}

__attribute__((format(printf, 3, 4))) static void fail(uint64_t addr, const char *op,
						       const char *fmt, ...)
{
	va_list ap;

	test_fail();
	if (failures_shown++ < MAX_SHOWN) {
		printf("FAIL - %s 0x%lx: ", op, addr);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
}

static unsigned long cm_missing, addr_size_faults;

/* One access and its judgement. */
static void probe(uint64_t addr, const struct op *op)
{
	enum region r = region_of(addr);
	uint64_t v;
	unsigned taken;

	if (r == OWN_RAM || (op->lse && !have_lse))
		return;
	/* Writes to the emulated devices are the mmio guest's business, not this one's. */
	if (r == EMULATED && op->kind != LOAD && op->kind != FETCH && op->kind != HINT)
		return;
	if (r == EMULATED && op->kind == LOAD && op->fn != op_ldr && op->fn != op_ldrb &&
	    op->fn != op_ldar)
		return;

	cases++;
	last_exception.esr = 0;
	if (op->kind != FETCH)
		exception_expect(0);
	v = op->fn(addr);
	taken = exception_expect_end();

	if (op->kind == HINT) {
		/* A prefetch never faults. */
		if (taken)
			fail(addr, op->name, "took an exception (ESR 0x%lx), expected none",
			     last_exception.esr);
		others++;
		return;
	}
	if (r == EMULATED && op->kind != FETCH && taken == 0) {
		others++; /* a read an emulated device answers (a refused one aborts) */
		return;
	}
	if (taken == 0 && ((op->fn == op_stxr && v == 1) || op->kind == CMO)) {
		/*
		 * A store-exclusive with the monitor open fails (status 1) without needing to
		 * look at memory, and QEMU does cache maintenance by VA without a translation:
		 * both architected, and neither reads anything.
		 */
		others++;
		return;
	}
	if (taken != 1) {
		fail(addr, op->name, "%u exceptions, expected 1 (returned 0x%lx)", taken, v);
		if (op->kind == LOAD || op->kind == RMW)
			leaked++;
		return;
	}

	uint64_t esr = last_exception.esr, far = last_exception.far;
	unsigned ec = ESR_EC(esr), fsc = ESR_FSC(esr);
	unsigned want_ec = op->kind == FETCH ? EC_IABT_CUR : EC_DABT_CUR;
	bool beyond = addr >= ipa_top;

	if (v != SENTINEL && op->kind != CMO) {
		/* The access aborted, yet a register changed: a value came from somewhere (or,
		   for the writeback forms, the base register moved). */
		fail(addr, op->name, "aborted, but a register changed: 0x%lx", v);
		if (op->kind == LOAD || op->kind == RMW)
			leaked++;
	}
	if (ec != want_ec) {
		fail(addr, op->name, "ESR_EL1 0x%lx: EC 0x%x, expected 0x%x", esr, ec, want_ec);
		return;
	}
	if (fsc == FSC_SYNC_EXTERNAL) {
		aborts++;
	} else if (fsc <= FSC_ADDRSZ_MAX && beyond) {
		others++; /* stage 1 refused it before kestrel could see it: just as good */
		if (addr_size_faults++ < 6)
			printf("probe: %s 0x%lx: address size fault at stage 1 (ESR_EL1 0x%lx)\n",
			       op->name, addr, esr);
	} else {
		fail(addr, op->name, "ESR_EL1 0x%lx: fault status 0x%x, expected 0x10%s", esr, fsc,
		     beyond ? " or an address size fault" : "");
		return;
	}
	/* A pair may fault on its second half; FAR is the address that faulted. */
	if (far < addr || far > addr + 15 || (far != addr && op->fn != op_ldp && op->fn != op_stp))
		fail(addr, op->name, "FAR_EL1 0x%lx", far);
	if ((op->kind == STORE && !(esr & ESR_DABT_WNR)) ||
	    (op->kind == LOAD && (esr & ESR_DABT_WNR)))
		fail(addr, op->name, "ESR_EL1 0x%lx: WnR does not match the access", esr);
	if (op->kind == CMO && !(esr & (1u << 8)))
		cm_missing++;
}

static void probe_basic(uint64_t addr)
{
	probe(addr, &op_ldr_d);
	probe(addr, &op_str_d);
	probe(addr, &op_fetch_d);
}

/* Named addresses: around its RAM, devices it was not given, the edges of the IPA space. */
static void named_addresses(uint64_t *list, unsigned *n)
{
	static const uint64_t fixed[] = {
	    0x0,		/* flash 0 */
	    0x04000000,		/* flash 1 */
	    0x08010000,		/* GICv2 CPU interface's place; nothing with a GICv3 */
	    0x08030000,		/* GICv2 hypervisor interface's place */
	    0x08040000,		/* GICv2 virtual CPU interface's place */
	    0x08020000,		/* GICv2m MSI frame's place (the ITS at 0x08080000 is kestrel's) */
	    0x09010000,		/* PL031 RTC */
	    0x09020000,		/* fw_cfg */
	    0x09030000,		/* PL061 GPIO */
	    0x09040000,		/* secure UART's place */
	    0x0a000000,		/* virtio-mmio transports */
	    0x0a003e00,		/* the last one */
	    0x0c000000,		/* platform bus */
	    0x10000000,		/* PCIe MMIO window */
	    0x3eff0000,		/* PCIe I/O window */
	    0x3f000000,		/* PCIe ECAM (low) */
	    0x3ffff000,		/* the page just below its RAM */
	    0x3ffffff8,		/* its last word */
	    0x4000000000ull,	/* high redistributor region */
	    0x4010000000ull,	/* PCIe ECAM (high) */
	    0x8000000000ull,	/* PCIe MMIO (high) */
	    0xfffffffff000ull,	/* the last page of a 48-bit IPA space */
	    0xffffffffff000ull, /* the last page of a 52-bit one */
	    1ull << 52,		/* beyond any physical address size */
	    0xffff000000000000ull, /* where a kernel's VAs would be */
	    0xfffffffffffff000ull, /* the top of the address space */
	};
	unsigned k = 0;

	for (unsigned i = 0; i < ARRAY_LEN(fixed); i++)
		list[k++] = fixed[i];
	list[k++] = mem_end;		/* just above its RAM */
	list[k++] = mem_end + 0x1000;	/* the page after */
	list[k++] = mem_end + 0x200000; /* 2 MiB above */
	list[k++] = 0x7ffff000;		/* the last page of a 1 GiB machine's RAM */
	/* Redistributor frames beyond its vCPUs: the RD frame and the SGI frame. */
	list[k++] = GICR_BASE + GICR_FRAME_STRIDE * boot_info.num_cpus;
	list[k++] = GICR_BASE + GICR_FRAME_STRIDE * boot_info.num_cpus + GICR_SGI_FRAME;
	list[k++] = GICR_BASE + GICR_FRAME_STRIDE * 63; /* the last a 64-CPU machine has */
	*n = k;
}

/* Its own RAM outside the image and the DTB: never written by it, so it must be zero. */
static void check_own_ram_zero(uint64_t dtb)
{
	uint64_t img_start = (uint64_t)(uintptr_t)_start, img_end = (uint64_t)(uintptr_t)_end;
	uint64_t ranges[2][2] = {{mem_base, img_start}, {(img_end + 7) & ~7ull, dtb & ~7ull}};
	unsigned long words = 0, nonzero = 0;

	for (unsigned r = 0; r < 2; r++)
		for (uint64_t a = ranges[r][0]; a < ranges[r][1]; a += 8) {
			uint64_t v = *(volatile uint64_t *)(uintptr_t)a;
			words++;
			if (v && nonzero++ < 4)
				printf(
				    "own RAM at IPA 0x%lx holds 0x%lx before it wrote anything\n",
				    a, v);
		}
	leaked += nonzero;
	check(nonzero == 0, "own RAM 0x%lx..0x%lx and 0x%lx..0x%lx: %lu words, %lu not zero",
	      ranges[0][0], ranges[0][1], ranges[1][0], ranges[1][1], words, nonzero);

	/* Where kestrel sits in the machine, this VM has its own page (part of the scan above). */
	uint64_t kestrel_pa = 0x40200000;
	if (kestrel_pa >= img_end && kestrel_pa < dtb) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)kestrel_pa;
		uint64_t before = *p;
		*p = MARK;
		check(before == 0 && *p == MARK,
		      "IPA 0x%lx (kestrel's physical address) is this VM's own RAM: read 0x%lx, "
		      "then its own write back",
		      kestrel_pa, before);
		*p = 0;
	}
}

/* One load per page: a stale translation shows as a load that does not abort. */
static void probe_range(uint64_t base, uint64_t size)
{
	for (uint64_t a = base; a - base < size; a += 0x1000)
		probe(a, &op_ldr_d);
}

static void sweep(void)
{
	uint64_t named[48];
	unsigned n;

	named_addresses(named, &n);
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < ARRAY_LEN(all_ops); k++)
			probe(named[i], &all_ops[k]);
	for (uint64_t a = 0; a < (4ull << 30); a += 2ull << 20)
		probe_basic(a);
	for (uint64_t a = 4ull << 30; a < (1ull << 40); a += 1ull << 30)
		probe_basic(a);
	for (uint64_t a = 1ull << 40; a < (1ull << 48); a += 1ull << 40)
		probe_basic(a);
}

static uint64_t parange_bits(uint64_t mmfr0)
{
	static const unsigned bits[] = {32, 36, 40, 42, 44, 48, 52};
	unsigned f = (unsigned)field(mmfr0, 0, 4);

	return f < ARRAY_LEN(bits) ? bits[f] : 52;
}

int main(const void *dtb)
{
	uint64_t run_ms = bootarg("run-ms", 0), start = ms_now();
	uint64_t range_base = bootarg("range-base", 0), range_size = bootarg("range-size", 0);
	unsigned passes = 0;

	mem_base = boot_info.mem_base;
	mem_end = mem_base + boot_info.mem_size;
	ipa_top = 1ull << parange_bits(read_sysreg(id_aa64mmfr0_el1));
	have_lse = field(read_sysreg(id_aa64isar0_el1), 20, 4) >= 2;
	if (range_size) {
		probe_range(range_base, range_size);
		printf("probe: range 0x%lx..0x%lx: %lu loads, %lu aborts, %lu leaked\n", range_base,
		       range_base + range_size, cases, aborts, leaked);
	}
	printf("probe: RAM 0x%lx..0x%lx, IPA space 0x%lx, %u vCPU(s), LSE atomics %s\n", mem_base,
	       mem_end, ipa_top, boot_info.num_cpus, have_lse ? "yes" : "no");
	if (!check(boot_info.mem_size != 0, "RAM found in the DTB"))
		test_finish();

	check_own_ram_zero((uint64_t)(uintptr_t)dtb);
	/* With a range, the range is the whole job: the sweeps are hostile-probe's. */
	while (!range_size) {
		unsigned long before = cases;
		sweep();
		passes++;
		if (passes == 1)
			printf("probe: pass 1: %lu cases in %lu ms: %lu aborts, %lu address size "
			       "faults, %lu other\n",
			       cases - before, ms_now() - start, aborts, addr_size_faults,
			       others - addr_size_faults);
		if (ms_now() - start >= run_ms)
			break;
	}

	if (cm_missing)
		printf("probe: note: %lu aborts on DC CIVAC without ESR_EL1.CM set\n", cm_missing);
	printf("HOSTILE: memory cases %lu aborts %lu other %lu leaked %lu (%u passes)\n", cases,
	       aborts, others, leaked, passes);
	check(leaked == 0, "nothing leaked: %lu", leaked);
	check(cases == aborts + others && test_failures() == 0,
	      "every case got an architected answer: %lu cases, %lu aborts, %lu other", cases,
	      aborts, others);
	test_finish();
}
