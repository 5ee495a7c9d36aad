/* SPDX-License-Identifier: Apache-2.0 */
#include "gic.h"
#include "mmio.h"
#include "sysreg.h"

/* The CPU interface's system registers, by encoding so any assembler takes them. */
#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_BPR1_EL1	S3_0_C12_C12_3
#define ICC_CTLR_EL1	S3_0_C12_C12_4
#define ICC_SRE_EL1	S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1	S3_0_C12_C11_5

#define ICC_CTLR_EOIMODE (1ul << 1)
#define ICC_SGI1R_IRM	 (1ul << 40)

/* How long GICD_CTLR.RWP and GICR_WAKER.ChildrenAsleep may take to clear. */
#define GIC_WAIT_SECONDS 1

static volatile gic_irq_hook_fn irq_hook;
static volatile unsigned spurious;

static bool wait_clear(uintptr_t reg, uint32_t mask)
{
	uint64_t deadline = counter_now() + GIC_WAIT_SECONDS * counter_freq();

	while (mmio_read32(reg) & mask)
		if (counter_now() > deadline)
			return false;
	return true;
}

/* ---- distributor ---- */

unsigned gic_dist_nr_irqs(void)
{
	unsigned lines = (mmio_read32(GICD_BASE + GICD_TYPER) & 0x1f) + 1;

	return lines * 32 > 1020 ? 1020 : lines * 32;
}

static uint64_t mpidr_affinity(uint64_t mpidr)
{
	return mpidr & MPIDR_AFFINITY_MASK;
}

bool gic_dist_init(void)
{
	unsigned nr = gic_dist_nr_irqs();
	uint64_t self = mpidr_affinity(read_sysreg(mpidr_el1));

	mmio_write32(GICD_BASE + GICD_CTLR, 0);
	if (!wait_clear(GICD_BASE + GICD_CTLR, GICD_CTLR_RWP))
		return false;
	for (unsigned i = GIC_NR_PRIVATE; i < nr; i += 32) {
		mmio_write32(GICD_BASE + GICD_IGROUPR + i / 8, 0xffffffffu);
		mmio_write32(GICD_BASE + GICD_ICENABLER + i / 8, 0xffffffffu);
		mmio_write32(GICD_BASE + GICD_ICPENDR + i / 8, 0xffffffffu);
		mmio_write32(GICD_BASE + GICD_ICACTIVER + i / 8, 0xffffffffu);
	}
	for (unsigned i = GIC_NR_PRIVATE; i < nr; i += 4)
		mmio_write32(GICD_BASE + GICD_IPRIORITYR + i, GIC_PRIO_DEFAULT * 0x01010101u);
	for (unsigned i = GIC_NR_PRIVATE; i < nr; i += 16)
		mmio_write32(GICD_BASE + GICD_ICFGR + i / 4, 0);
	for (unsigned i = GIC_NR_PRIVATE; i < nr; i++)
		mmio_write64(GICD_BASE + GICD_IROUTER + 8 * i, self);
	if (!wait_clear(GICD_BASE + GICD_CTLR, GICD_CTLR_RWP))
		return false;
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
	return wait_clear(GICD_BASE + GICD_CTLR, GICD_CTLR_RWP);
}

/* ---- this vCPU's redistributor ---- */

uint64_t gic_typer_to_mpidr(uint64_t typer)
{
	uint64_t aff = typer >> 32; /* Aff3.Aff2.Aff1.Aff0 */

	return ((aff >> 24) << 32) | (aff & 0xffffff);
}

uintptr_t gic_redist_find(uint64_t mpidr)
{
	for (unsigned n = 0; n < GICR_MAX_FRAMES; n++) {
		uintptr_t rd = GICR_BASE + n * GICR_FRAME_STRIDE;
		uint64_t typer = mmio_read64(rd + GICR_TYPER);
		if (gic_typer_to_mpidr(typer) == mpidr_affinity(mpidr))
			return rd;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return 0;
}

/* Each vCPU keeps its RD frame address in its own TPIDR_EL1. */
uintptr_t gic_redist(void)
{
	return (uintptr_t)read_sysreg(tpidr_el1);
}

uintptr_t gic_redist_sgi(void)
{
	return gic_redist() + GICR_SGI_FRAME;
}

void gic_cpu_iface_init(void)
{
	write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | 1);
	isb();
	write_sysreg(ICC_PMR_EL1, 0xff);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_CTLR_EL1, read_sysreg(ICC_CTLR_EL1) & ~ICC_CTLR_EOIMODE);
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
}

bool gic_cpu_init(void)
{
	uintptr_t rd = gic_redist_find(read_sysreg(mpidr_el1)), sgi;

	write_sysreg(tpidr_el1, rd);
	if (!rd)
		return false;
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_SLEEP);
	if (!wait_clear(rd + GICR_WAKER, GICR_WAKER_ASLEEP))
		return false;

	sgi = rd + GICR_SGI_FRAME;
	mmio_write32(sgi + GICD_IGROUPR, 0xffffffffu);
	mmio_write32(sgi + GICD_ICENABLER, 0xffffffffu);
	mmio_write32(sgi + GICD_ICPENDR, 0xffffffffu);
	mmio_write32(sgi + GICD_ICACTIVER, 0xffffffffu);
	for (unsigned i = 0; i < GIC_NR_PRIVATE; i += 4)
		mmio_write32(sgi + GICD_IPRIORITYR + i, GIC_PRIO_DEFAULT * 0x01010101u);
	gic_cpu_iface_init();
	return true;
}

/* ---- one interrupt ---- */

uintptr_t gic_irq_frame(unsigned intid)
{
	return intid < GIC_NR_PRIVATE ? gic_redist_sgi() : GICD_BASE;
}

/* One bit per interrupt: the word holding intid's bit in the register array at reg. */
static uintptr_t bit_word(unsigned intid, unsigned reg)
{
	return gic_irq_frame(intid) + reg + 4 * (intid / 32);
}

static uint32_t bit(unsigned intid)
{
	return 1u << (intid % 32);
}

static void set_bit(unsigned intid, unsigned reg)
{
	mmio_write32(bit_word(intid, reg), bit(intid));
}

static bool test_bit(unsigned intid, unsigned reg)
{
	return mmio_read32(bit_word(intid, reg)) & bit(intid);
}

void gic_enable(unsigned intid)
{
	set_bit(intid, GICD_ISENABLER);
}

void gic_disable(unsigned intid)
{
	set_bit(intid, GICD_ICENABLER);
}

bool gic_is_enabled(unsigned intid)
{
	return test_bit(intid, GICD_ISENABLER);
}

void gic_set_pending(unsigned intid)
{
	set_bit(intid, GICD_ISPENDR);
}

void gic_clear_pending(unsigned intid)
{
	set_bit(intid, GICD_ICPENDR);
}

bool gic_is_pending(unsigned intid)
{
	return test_bit(intid, GICD_ISPENDR);
}

void gic_set_active(unsigned intid)
{
	set_bit(intid, GICD_ISACTIVER);
}

void gic_clear_active(unsigned intid)
{
	set_bit(intid, GICD_ICACTIVER);
}

bool gic_is_active(unsigned intid)
{
	return test_bit(intid, GICD_ISACTIVER);
}

void gic_set_group1(unsigned intid, bool group1)
{
	uintptr_t reg = bit_word(intid, GICD_IGROUPR);
	uint32_t v = mmio_read32(reg);

	mmio_write32(reg, group1 ? v | bit(intid) : v & ~bit(intid));
}

void gic_set_priority(unsigned intid, uint8_t prio)
{
	mmio_write8(gic_irq_frame(intid) + GICD_IPRIORITYR + intid, prio);
}

uint8_t gic_priority(unsigned intid)
{
	return mmio_read8(gic_irq_frame(intid) + GICD_IPRIORITYR + intid);
}

void gic_set_edge(unsigned intid, bool edge)
{
	uintptr_t reg = gic_irq_frame(intid) + GICD_ICFGR + 4 * (intid / 16);
	uint32_t mask = 2u << (2 * (intid % 16));
	uint32_t v = mmio_read32(reg);

	mmio_write32(reg, edge ? v | mask : v & ~mask);
}

bool gic_is_edge(unsigned intid)
{
	return mmio_read32(gic_irq_frame(intid) + GICD_ICFGR + 4 * (intid / 16)) &
	       (2u << (2 * (intid % 16)));
}

void gic_route_spi(unsigned intid, uint64_t mpidr)
{
	mmio_write64(GICD_BASE + GICD_IROUTER + 8 * intid, mpidr_affinity(mpidr));
}

uint64_t gic_spi_route(unsigned intid)
{
	return mmio_read64(GICD_BASE + GICD_IROUTER + 8 * intid);
}

/* ---- CPU interface ---- */

unsigned gic_ack(void)
{
	unsigned intid = (unsigned)read_sysreg(ICC_IAR1_EL1) & 0xffffff;

	dsb_sy(); /* the acknowledge completes before the handler looks at the device */
	return intid;
}

void gic_eoi(unsigned intid)
{
	write_sysreg(ICC_EOIR1_EL1, intid);
	isb();
}

void gic_set_pmr(uint8_t pmr)
{
	write_sysreg(ICC_PMR_EL1, pmr);
	isb();
}

uint8_t gic_pmr(void)
{
	return (uint8_t)read_sysreg(ICC_PMR_EL1);
}

void gic_send_sgi_list(unsigned intid, uint64_t mpidr, uint16_t targets)
{
	uint64_t v = (field(mpidr, 32, 8) << 48) | (field(mpidr, 0, 8) / 16 << 44) |
		     (field(mpidr, 16, 8) << 32) | ((uint64_t)(intid & 0xf) << 24) |
		     (field(mpidr, 8, 8) << 16) | targets;

	dsb_sy(); /* memory written before the SGI is visible to its target */
	write_sysreg(ICC_SGI1R_EL1, v);
	isb();
}

void gic_send_sgi(unsigned intid, uint64_t mpidr)
{
	gic_send_sgi_list(intid, mpidr, (uint16_t)(1u << (mpidr & 0xf)));
}

void gic_send_sgi_others(unsigned intid)
{
	dsb_sy();
	write_sysreg(ICC_SGI1R_EL1, ICC_SGI1R_IRM | ((uint64_t)(intid & 0xf) << 24));
	isb();
}

/* ---- IRQ exceptions ---- */

void gic_set_irq_hook(gic_irq_hook_fn hook)
{
	irq_hook = hook;
	dsb_sy();
}

unsigned gic_spurious_count(void)
{
	return spurious;
}

bool gic_handle_irq(void)
{
	gic_irq_hook_fn hook = irq_hook;
	unsigned intid;

	if (!hook)
		return false;
	intid = gic_ack();
	if (intid >= 1020 && intid <= 1023) {
		spurious = spurious + 1;
		return true;
	}
	hook(intid);
	gic_eoi(intid);
	return true;
}
