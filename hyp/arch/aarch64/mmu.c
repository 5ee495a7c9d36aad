/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EL2 stage-1 tables. They are built with the MMU off, so everything here keeps to aligned
 * accesses (the whole hypervisor is built with -mstrict-align for this reason).
 */
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/mmu.h>
#include <kestrel/mte.h>
#include <kestrel/pgtable.h>
#include <kestrel/platform.h>
#include <kestrel/sysreg_defs.h>

#define BOOT_POOL_PAGES 48
#define MAIR_VALUE	0x44ff0400ull /* 0: nGnRnE, 1: nGnRE, 2: Normal WB, 3: Normal NC */
#define MAIR_TAGGED	0x44f00400ull /* the same, with 2: Tagged Normal WB (FEAT_MTE2) */
#define SCTLR_EL2_RES1	0x30c50830ull
#define SCTLR_EL1_RES1	0x30d00800ull
#define SCTLR_M		BIT(0)
#define SCTLR_C		BIT(2)
#define SCTLR_SA	BIT(3)
#define SCTLR_I		BIT(12)
#define SCTLR_WXN	BIT(19)
#define SCTLR_ITFSB	BIT(37) /* exception entry synchronizes tag check faults into TFSR */
#define SCTLR_ATA	BIT(43) /* EL2 may access allocation tags (TCF stays 0: no checks) */
#define TCR_WALK_ATTRS	((1ull << 8) | (1ull << 10) | (3ull << 12)) /* WBWA, inner shareable */

static uint8_t boot_pool[BOOT_POOL_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static unsigned boot_pool_used;
static bool use_allocator;
struct mmu_config mmu_boot_config;
static struct pgtable el2_pt;
static paddr_t dtb_base;
static uint64_t dtb_size;

static paddr_t table_alloc(void *ctx, unsigned npages)
{
	(void)ctx;
	if (use_allocator)
		return mm_alloc_zeroed(npages, OWNER_KESTREL);
	if (npages != 1 || boot_pool_used == BOOT_POOL_PAGES)
		return 0;
	memset(boot_pool[boot_pool_used], 0, PAGE_SIZE);
	return (paddr_t)(uintptr_t)boot_pool[boot_pool_used++];
}

static void table_free(void *ctx, paddr_t pa, unsigned npages)
{
	(void)ctx;
	/* Boot-pool pages are never returned; later tables go back to the allocator. */
	if (pa < (paddr_t)(uintptr_t)boot_pool ||
	    pa >= (paddr_t)(uintptr_t)boot_pool + sizeof(boot_pool))
		mm_free(pa, npages, OWNER_KESTREL);
}

static void *identity(void *ctx, paddr_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static void el2_tlb_flush(void *ctx, uint64_t ia, uint64_t size)
{
	(void)ctx, (void)ia, (void)size;
	dsb(ishst);
	__asm__ volatile("tlbi alle2is" ::: "memory");
	dsb(ish);
	isb();
}

static const struct pgtable_mm el2_mm = {table_alloc, table_free, identity, el2_tlb_flush, NULL};

unsigned mmu_pa_bits(void)
{
	static const unsigned bits[] = {32, 36, 40, 42, 44, 48, 52};
	unsigned r = read_sysreg(id_aa64mmfr0_el1) & 0xf;

	return r < ARRAY_SIZE(bits) ? MIN(bits[r], 48u) : 48;
}

unsigned mmu_ps_field(unsigned pa_bits)
{
	switch (pa_bits) {
	case 32:
		return 0;
	case 36:
		return 1;
	case 40:
		return 2;
	case 42:
		return 3;
	case 44:
		return 4;
	default:
		return 5;
	}
}

static void map_or_die(uint64_t pa, uint64_t size, unsigned perms)
{
	if (pgtable_map(&el2_pt, pa, pa, size, perms) != E_OK)
		halt_forever();
}

struct mmu_config *boot_mmu_tables(const void *dtb, unsigned el)
{
	paddr_t text = (paddr_t)(uintptr_t)__image_start;
	paddr_t rodata = (paddr_t)(uintptr_t)__text_end;
	paddr_t data = (paddr_t)(uintptr_t)__rodata_end;
	paddr_t end = (paddr_t)(uintptr_t)__image_end;
	uint64_t ps = mmu_ps_field(mmu_pa_bits());
	/* With tags in memory, kestrel's RAM is Tagged so that DC GZVA zeroes the tags with the
	   data (zero.c), and a guest's pending asynchronous tag faults reach its TFSR_EL1 before
	   kestrel saves it (mte.c). */
	bool mte = FIELD(read_sysreg(id_aa64pfr1_el1), MTE_ID_FIELD_SHIFT, 4) >= MTE_ID_FEAT_MTE2;

	(void)el;
	if (pgtable_init(&el2_pt, 48, false, &el2_mm) != E_OK)
		halt_forever();
	map_or_die(text, rodata - text, PT_R | PT_X);
	map_or_die(rodata, data - rodata, PT_R);
	map_or_die(data, end - data, PT_R | PT_W);
	/* The DTB header's totalsize is a big-endian word at offset 4. */
	if (dtb && IS_ALIGNED((uintptr_t)dtb, 8) && *(const uint32_t *)dtb == 0xedfe0dd0) {
		uint32_t size = __builtin_bswap32(((const uint32_t *)dtb)[1]);
		dtb_base = ALIGN_DOWN((paddr_t)(uintptr_t)dtb, PAGE_SIZE);
		dtb_size = ALIGN_UP((paddr_t)(uintptr_t)dtb + MIN(size, PLAT_DTB_MAX), PAGE_SIZE) -
			   dtb_base;
		if (dtb_base + dtb_size <= text || dtb_base >= end)
			map_or_die(dtb_base, dtb_size, PT_R);
		else
			dtb_size = 0;
	}
	mmu_boot_config = (struct mmu_config){
	    .ttbr = el2_pt.root,
	    .tcr_el2 = 16 | TCR_WALK_ATTRS | (ps << 16) | BIT(31) | BIT(23),
	    .mair = mte ? MAIR_TAGGED : MAIR_VALUE,
	    .sctlr_el2 = SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA | SCTLR_WXN |
			 (mte ? SCTLR_ITFSB | SCTLR_ATA : 0),
	    .tcr_el1 = 16 | TCR_WALK_ATTRS | BIT(23) | (ps << 32),
	    .sctlr_el1 = SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_I,
	};
	return &mmu_boot_config;
}

int mmu_map_device(paddr_t pa, uint64_t size)
{
	paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
	int err = pgtable_map(&el2_pt, base, base, ALIGN_UP(pa + size, PAGE_SIZE) - base,
			      PT_R | PT_W | PT_DEVICE);

	dsb(ishst);
	isb();
	return err;
}

static int map_ram_piece(paddr_t from, paddr_t to)
{
	if (from >= to)
		return E_OK;
	return pgtable_map(&el2_pt, from, from, to - from, PT_R | PT_W);
}

int mmu_map_ram(paddr_t base, uint64_t size)
{
	paddr_t top = base + size, img = (paddr_t)(uintptr_t)__image_start;
	paddr_t img_end = (paddr_t)(uintptr_t)__image_end;
	paddr_t cuts[2][2] = {{img, img_end}, {dtb_base, dtb_base + dtb_size}};
	int err;

	if (dtb_size && dtb_base < img)
		cuts[0][0] = dtb_base, cuts[0][1] = dtb_base + dtb_size, cuts[1][0] = img,
		cuts[1][1] = img_end;
	/* RAM below, between and above the two regions that are already mapped. */
	err = map_ram_piece(base, MIN(cuts[0][0], top));
	if (!err)
		err = map_ram_piece(MAX(cuts[0][1], base), MIN(cuts[1][0] ? cuts[1][0] : top, top));
	if (!err && cuts[1][0])
		err = map_ram_piece(MAX(cuts[1][1], base), top);
	dsb(ishst);
	isb();
	return err;
}

void mmu_use_allocator(void)
{
	use_allocator = true;
}
