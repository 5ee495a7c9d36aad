/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The physical GICv3: kestrel uses it only for its own interrupts (kicks between CPUs and
 * the EL2 timer), with split priority drop and deactivation (EOImode = 1).
 */
#include <kestrel/gicv3.h>
#include <kestrel/gic_regs.h>
#include <kestrel/lib.h>
#include <kestrel/platform.h>
#include <kestrel/sysreg_defs.h>

#define GICD_CTLR_RWP	BIT(31)
#define GICD_CTLR_ARE	BIT(4)
#define GICD_CTLR_G1	BIT(1)
#define GICR_IGROUPR0	(GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180)
#define GICR_ISACTIVER0 (GICR_SGI + 0x0300)
#define GICR_IPRIORITYR (GICR_SGI + 0x0400)
#define WAKER_SLEEP	BIT(1)
#define WAKER_ASLEEP	BIT(2)
#define TYPER_LAST	BIT(4)
#define TYPER_VLPIS	BIT(1)
#define PRIO_KESTREL	0x80

static uintptr_t gicd;
static const struct gic_info *gic_cfg;

static volatile uint32_t *reg32(uintptr_t base, uint64_t off)
{
	return (volatile uint32_t *)(base + off);
}

int gicv3_init_dist(const struct gic_info *gic)
{
	gic_cfg = gic;
	gicd = (uintptr_t)gic->dist_base;
	*reg32(gicd, GICD_CTLR) = GICD_CTLR_ARE | GICD_CTLR_G1;
	while (*reg32(gicd, GICD_CTLR) & GICD_CTLR_RWP)
		;
	return E_OK;
}

static uintptr_t find_redist(uint64_t mpidr)
{
	uint64_t aff = ((mpidr >> 8) & 0xff000000) | (mpidr & 0xffffff);
	uintptr_t rd = (uintptr_t)gic_cfg->redist_base;
	uintptr_t end = rd + gic_cfg->redist_size;

	while (rd < end) {
		uint64_t typer = *(volatile uint64_t *)(rd + GICR_TYPER);
		if ((typer >> 32) == aff)
			return rd;
		if (typer & TYPER_LAST)
			break;
		rd += (typer & TYPER_VLPIS) ? 0x40000 : 0x20000;
	}
	return 0;
}

/* The redistributor of each CPU, found once at its bring-up. */
static uintptr_t redist_of_cpu[PCPU_MAX];

static uintptr_t this_redist(void)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);

	for (unsigned i = 0; i < PCPU_MAX; i++)
		if (redist_of_cpu[i] && (*(volatile uint64_t *)(redist_of_cpu[i] + GICR_TYPER) >>
					 32) == (((mpidr >> 8) & 0xff000000) | (mpidr & 0xffffff)))
			return redist_of_cpu[i];
	return 0;
}

int gicv3_init_cpu(uint64_t mpidr)
{
	uintptr_t rd = find_redist(mpidr);

	if (!rd)
		return -E_NOENT;
	for (unsigned i = 0; i < PCPU_MAX; i++)
		if (!redist_of_cpu[i]) {
			redist_of_cpu[i] = rd;
			break;
		}
	*reg32(rd, GICR_WAKER) &= ~(uint32_t)WAKER_SLEEP;
	while (*reg32(rd, GICR_WAKER) & WAKER_ASLEEP)
		;
	*reg32(rd, GICR_ICENABLER0) = 0xffffffff;
	*reg32(rd, GICR_IGROUPR0) = 0xffffffff;
	for (unsigned i = 0; i < 32; i += 4)
		*reg32(rd, GICR_IPRIORITYR + i) = 0x01010101u * PRIO_KESTREL;
	*reg32(rd, GICR_ISENABLER0) = BIT(SGI_KICK) | BIT(SGI_HALT);

	write_sysreg(ICC_SRE_EL2, 0xf); /* SRE, DFB, DIB, and let EL1 use the sysreg interface */
	isb();
	write_sysreg(ICC_PMR_EL1, 0xff);
	write_sysreg(ICC_CTLR_EL1, BIT(1)); /* EOImode: priority drop and deactivate apart */
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
	return E_OK;
}

void gicv3_enable_ppi(unsigned intid)
{
	uintptr_t rd = this_redist();

	if (rd && intid < 32)
		*reg32(rd, GICR_ISENABLER0) = 1u << intid;
}

void gicv3_activate_ppi(unsigned intid)
{
	uintptr_t rd = this_redist();

	if (rd && intid < 32)
		*reg32(rd, GICR_ISACTIVER0) = 1u << intid;
}

void gicv3_send_sgi(uint64_t mpidr, unsigned intid)
{
	uint64_t v = ((mpidr >> 32) & 0xff) << 48 | ((mpidr >> 16) & 0xff) << 32 |
		     ((mpidr >> 8) & 0xff) << 16 | (uint64_t)(intid & 0xf) << 24 |
		     ((mpidr & 0xf0) >> 4) << 44 | BIT(mpidr & 0xf);

	dsb(ishst);
	write_sysreg(ICC_SGI1R_EL1, v);
	isb();
}

void gicv3_send_sgi_others(unsigned intid)
{
	dsb(ishst);
	write_sysreg(ICC_SGI1R_EL1, BIT(40) | (uint64_t)(intid & 0xf) << 24); /* IRM: all but us */
	isb();
}

unsigned gicv3_ack(void)
{
	unsigned intid = (unsigned)read_sysreg(ICC_IAR1_EL1) & 0xffffff;

	dsb(sy);
	return intid;
}

void gicv3_priority_drop(unsigned intid)
{
	write_sysreg(ICC_EOIR1_EL1, intid);
	isb();
}

void gicv3_deactivate(unsigned intid)
{
	write_sysreg(ICC_DIR_EL1, intid);
	isb();
}

void gicv3_eoi(unsigned intid)
{
	gicv3_priority_drop(intid);
	gicv3_deactivate(intid);
}

void gicv3_route_spi(unsigned intid, uint64_t mpidr)
{
	uint64_t aff = (mpidr & 0xff00ffffffull);

	if (intid < 32 || intid >= 1020)
		return;
	*(volatile uint64_t *)(gicd + GICD_IROUTER + 8 * intid) = aff;
	*reg32(gicd, GICD_IGROUPR + 4 * (intid / 32)) |= 1u << (intid % 32);
	*((volatile uint8_t *)(gicd + GICD_IPRIORITYR + intid)) = PRIO_KESTREL;
	*reg32(gicd, GICD_ISENABLER + 4 * (intid / 32)) = 1u << (intid % 32);
}

void gicv3_disable_spi(unsigned intid)
{
	if (intid >= 32 && intid < 1020)
		*reg32(gicd, GICD_ICENABLER + 4 * (intid / 32)) = 1u << (intid % 32);
}

unsigned gicv3_list_regs(void)
{
	return (unsigned)(read_sysreg(ICH_VTR_EL2) & 0x1f) + 1;
}
