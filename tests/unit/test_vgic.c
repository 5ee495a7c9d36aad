/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtual GICv3's distributor and redistributor registers, through the VM's MMIO router,
 * for a VM of two vCPUs: what a guest access does to the interrupt state and to the "want"
 * bitmap that says which interrupts must go into list registers; SGI routing and groups; how
 * many active-priority registers a CPU interface has; the list registers of the fake CPU
 * interface filled with what is wanted and folded back after the guest took it. The rest of
 * kestrel (vm.c, sched.c) is stand-ins here; the physical GIC is the fake arch's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/gic_regs.h>
#include <kestrel/guest_layout.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

#include <arch/fake_arch.h>
#include <arch/fake_drivers.h>

#include "vgic_vm.h"

#define IIDR_KESTREL 0x4b00043bu
#define UART_INTID   (32 + GUEST_UART_SPI)
#define HW_APRS	     2 /* what this machine's CPU interface has (fake_arch.ich_vtr) */

static struct vm vm;
static struct pcpu cpus[2];

/* --- stand-ins for the rest of kestrel --- */

static struct vcpu *vcpu_by_mpidr(struct vm *v, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffull; /* as vm.c: affinity fields only */
	for (unsigned i = 0; i < v->vcpu_count; i++)
		if ((v->vcpus[i].vmpidr & 0xff00ffffffull) == mpidr)
			return &v->vcpus[i];
	return NULL;
}

static void kick(struct vcpu *vcpu)
{
	(void)vcpu;
}

static void sync_lrs(struct vcpu *vcpu)
{
	(void)vcpu;
}

/* No timer runs here: its level is another CPU's business. The PMU's overflow level is the
   test's (pmu_level_now), on this CPU. */
static enum vgic_level pmu_level_now;

static enum vgic_level ppi_level(struct vcpu *vcpu, unsigned intid, bool *here)
{
	(void)vcpu;
	*here = intid == GUEST_PPI_PMU;
	return *here ? pmu_level_now : VGIC_LEVEL_UNKNOWN;
}

static const struct vgic_hooks hooks = {kick,	      sync_lrs,	     vcpu_by_mpidr, ppi_level,
					vgic_no_read, vgic_no_write, vgic_no_ram};

static int new_vm(void **state)
{
	(void)state;
	vgic_test_vm(&vm, cpus, 2);
	fake_arch_reset();
	pmu_level_now = VGIC_LEVEL_LOW;
	fake_arch.ich_vtr = 5ull << 26; /* PREbits 6: HW_APRS */
	vgic_init(&vm, 4, &hooks);
	assert_int_equal(mmio_insert(vm.mmio, &vm.mmio_count, VM_MMIO_MAX, &vm.vgic.dist_dev), 0);
	assert_int_equal(mmio_insert(vm.mmio, &vm.mmio_count, VM_MMIO_MAX, &vm.vgic.redist_dev), 0);
	return 0;
}

/* A guest access at the distributor's offset off, as abort_dabt_exit makes it. */
static bool gicd(bool write, uint64_t off, unsigned width, uint64_t *val)
{
	struct mmio_dev *dev = mmio_find(vm.mmio, vm.mmio_count, GUEST_GICD_BASE + off);

	assert_ptr_equal(dev, &vm.vgic.dist_dev);
	return write ? dev->ops->write(dev, &vm.vcpus[0], off, width, *val)
		     : dev->ops->read(dev, &vm.vcpus[0], off, width, val);
}

static void gicd_write(uint64_t off, unsigned width, uint64_t val)
{
	assert_true(gicd(true, off, width, &val));
}

static uint64_t gicd_read(uint64_t off, unsigned width)
{
	uint64_t val = 0xbadbadbadbadull;

	assert_true(gicd(false, off, width, &val));
	return val;
}

/* A guest access at offset off of vCPU idx's redistributor (RD frame, then SGI frame). */
static bool gicr(bool write, unsigned idx, uint64_t off, unsigned width, uint64_t *val)
{
	uint64_t frame = idx * GUEST_GICR_STRIDE + off;
	struct mmio_dev *dev = mmio_find(vm.mmio, vm.mmio_count, GUEST_GICR_BASE + frame);

	assert_ptr_equal(dev, &vm.vgic.redist_dev);
	return write ? dev->ops->write(dev, &vm.vcpus[idx], frame, width, *val)
		     : dev->ops->read(dev, &vm.vcpus[idx], frame, width, val);
}

static void gicr_write(unsigned idx, uint64_t off, unsigned width, uint64_t val)
{
	assert_true(gicr(true, idx, off, width, &val));
}

static uint64_t gicr_read(unsigned idx, uint64_t off, unsigned width)
{
	uint64_t val = 0xbadbadbadbadull;

	assert_true(gicr(false, idx, off, width, &val));
	return val;
}

static bool wanted(const struct vcpu *vcpu, unsigned intid)
{
	return vcpu->vgic.want[intid / 64] & BIT(intid % 64);
}

/* The UART's SPI, Group 1, enabled, with Group 1 enabled in the distributor. */
static void enable_uart_spi(void)
{
	gicd_write(GICD_CTLR, 4, 2);
	gicd_write(GICD_IGROUPR + 4, 4, 0xffffffff);
	gicd_write(GICD_ISENABLER + 4, 4, BIT(UART_INTID - 32));
}

/* The PMU's overflow PPI is a level linked to the physical one (vgic_inject_hw), as the
   timers' are: pending in GICR_ISPENDR0 while the source's level is high, its PPI enabled or
   not; once the guest lowers it (PMOVSCLR, with no exit), the latch goes and the physical PPI
   is released; a PMU user's put releases it too. */
static void pmu_ppi_follows_its_level_and_is_released(void **state)
{
	struct vcpu *v = &vm.vcpus[0];
	unsigned before;

	(void)state;
	pmu_level_now = VGIC_LEVEL_HIGH;
	vgic_inject_hw(v, GUEST_PPI_PMU);
	assert_true(v->vgic.priv[GUEST_PPI_PMU].hw);
	assert_int_equal(gicr_read(0, GICR_SGI + GICD_ISPENDR, 4) & BIT(GUEST_PPI_PMU),
			 BIT(GUEST_PPI_PMU));
	before = fake_drivers.deactivations;
	pmu_level_now = VGIC_LEVEL_LOW;
	assert_int_equal(gicr_read(0, GICR_SGI + GICD_ISPENDR, 4) & BIT(GUEST_PPI_PMU), 0);
	assert_int_equal(fake_drivers.deactivations, before + 1);
	assert_int_equal(fake_drivers.last_deactivated, GUEST_PPI_PMU);
	assert_false(v->vgic.priv[GUEST_PPI_PMU].hw);

	/* Fired again, not taken, and the vCPU leaves the CPU: released, not pending. */
	pmu_level_now = VGIC_LEVEL_HIGH;
	vgic_inject_hw(v, GUEST_PPI_PMU);
	before = fake_cpu()->deactivations;
	vgic_lr_put_linked(v, GUEST_PPI_PMU);
	assert_int_equal(fake_cpu()->deactivations, before + 1);
	assert_int_equal(fake_cpu()->last_deactivated, GUEST_PPI_PMU);
	assert_false(v->vgic.priv[GUEST_PPI_PMU].pending);
	assert_false(v->vgic.priv[GUEST_PPI_PMU].hw);
}

static void level_spi_with_its_line_high_is_wanted_by_its_target(void **state)
{
	(void)state;
	enable_uart_spi();
	assert_false(wanted(&vm.vcpus[0], UART_INTID));
	vgic_set_line(&vm, UART_INTID, true);
	assert_true(wanted(&vm.vcpus[0], UART_INTID));
	assert_false(wanted(&vm.vcpus[1], UART_INTID));
	vgic_set_line(&vm, UART_INTID, false);
	assert_false(wanted(&vm.vcpus[0], UART_INTID));
}

/* Found by fuzz_vgic_mmio: ICFGR changed edge/level without re-evaluating delivery, so a
   high line stayed wanted after becoming edge-triggered, and was lost the other way round. */
static void changing_the_trigger_with_the_line_high_updates_delivery(void **state)
{
	unsigned shift = 2 * (UART_INTID % 16);
	uint64_t icfgr = GICD_ICFGR + 4 * (UART_INTID / 16);

	(void)state;
	enable_uart_spi();
	vgic_set_line(&vm, UART_INTID, true);
	assert_true(wanted(&vm.vcpus[0], UART_INTID));
	gicd_write(icfgr, 4, 2u << shift); /* edge: a high line is no new edge */
	assert_int_equal(gicd_read(icfgr, 4), 2u << shift);
	assert_false(wanted(&vm.vcpus[0], UART_INTID));
	assert_false(vgic_vcpu_pending(&vm.vcpus[0]));
	gicd_write(icfgr, 4, 0); /* level again: the high line is pending */
	assert_true(wanted(&vm.vcpus[0], UART_INTID));
	assert_true(vgic_vcpu_pending(&vm.vcpus[0]));
}

static void irouter_routes_an_spi_to_the_vcpu_it_names(void **state)
{
	uint64_t irouter = GICD_IROUTER + 8 * UART_INTID;

	(void)state;
	enable_uart_spi();
	gicd_write(irouter, 8, GUEST_MPIDR(1) & 0xffffff);
	assert_int_equal(gicd_read(irouter, 8), 1);
	vgic_set_line(&vm, UART_INTID, true);
	assert_false(wanted(&vm.vcpus[0], UART_INTID));
	assert_true(wanted(&vm.vcpus[1], UART_INTID));
	gicd_write(irouter, 4, 0); /* the low word alone: back to vCPU 0 */
	assert_true(wanted(&vm.vcpus[0], UART_INTID));
	assert_false(wanted(&vm.vcpus[1], UART_INTID));
}

/* Found by fuzz_vgic_mmio: byte and halfword accesses to IROUTER were taken as 32-bit ones, so
   a byte read returned the whole word and a byte write replaced it. */
static void irouter_ignores_byte_and_halfword_accesses(void **state)
{
	uint64_t irouter = GICD_IROUTER + 8 * UART_INTID;

	(void)state;
	gicd_write(irouter, 8, 0x0000000100000001ull);
	assert_int_equal(gicd_read(irouter, 1), 0);
	assert_int_equal(gicd_read(irouter + 2, 2), 0);
	gicd_write(irouter, 1, 0xff);
	gicd_write(irouter + 1, 1, 0xff);
	gicd_write(irouter + 4, 2, 0xffff);
	assert_int_equal(gicd_read(irouter, 8), 0x0000000100000001ull);
	assert_int_equal(gicd_read(irouter + 4, 4), 1);
	/* Aff3 = 1: no such vCPU, so the SPI goes to none (the architecture forwards it to no
	   PE), not to vCPU 0. */
	assert_int_equal(vm.vgic.spis[UART_INTID - 32].target, VGIC_NO_TARGET);
}

/* --- redistributors --- */

/* GICR_TYPER: affinity (bits 63:32, Aff3 at the top), processor number, Last on the last. */
static void gicr_typer_names_each_vcpu_and_marks_the_last(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		uint64_t typer = gicr_read(i, GICR_TYPER, 8);
		assert_int_equal(typer >> 32, GUEST_MPIDR(i) & 0xffffff);
		assert_int_equal((typer >> 8) & 0xffff, i);
		assert_int_equal(!!(typer & BIT(4)), i == 1);
		assert_int_equal(gicr_read(i, GICR_TYPER, 4), (uint32_t)typer);
		assert_int_equal(gicr_read(i, GICR_TYPER + 4, 4), typer >> 32);
		gicr_write(i, GICR_TYPER, 8, 0); /* read-only */
		assert_int_equal(gicr_read(i, GICR_TYPER, 8), typer);
	}
}

static void gicr_identification_and_ctlr(void **state)
{
	(void)state;
	assert_int_equal(gicr_read(1, GICR_IIDR, 4), IIDR_KESTREL);
	assert_int_equal(gicr_read(1, GIC_PIDR2, 4), 0x3b);
	assert_int_equal(gicr_read(1, GICR_CTLR, 4), 0);
	assert_int_equal(gicr_read(1, GICR_TYPER, 8) & BIT(0), BIT(0)); /* PLPIS */
	gicr_write(1, GICR_CTLR, 4, 1); /* EnableLPIs: set, per redistributor */
	assert_int_equal(gicr_read(1, GICR_CTLR, 4), 1);
	assert_int_equal(gicr_read(0, GICR_CTLR, 4), 0);
	gicr_write(1, GICR_CTLR, 4, 0); /* and it stays set: GICR_CTLR.CES is 0 */
	assert_int_equal(gicr_read(1, GICR_CTLR, 4), 1);
}

/* Asleep at reset; clearing ProcessorSleep wakes it (ChildrenAsleep follows), setting it again
   puts it back to sleep; ChildrenAsleep itself is read-only. */
static void gicr_waker_handshake(void **state)
{
	(void)state;
	assert_int_equal(gicr_read(0, GICR_WAKER, 4), BIT(1) | BIT(2));
	assert_int_equal(gicr_read(1, GICR_WAKER, 4), BIT(1) | BIT(2));
	gicr_write(0, GICR_WAKER, 4, 0);
	assert_int_equal(gicr_read(0, GICR_WAKER, 4), 0);
	assert_int_equal(gicr_read(1, GICR_WAKER, 4), BIT(1) | BIT(2)); /* its own per vCPU */
	gicr_write(0, GICR_WAKER, 4, BIT(2));
	assert_int_equal(gicr_read(0, GICR_WAKER, 4), 0);
	gicr_write(0, GICR_WAKER, 4, BIT(1));
	assert_int_equal(gicr_read(0, GICR_WAKER, 4), BIT(1) | BIT(2));
}

/* ICFGR0 (SGIs): always edge, writes ignored. ICFGR1 (PPIs): programmable, per vCPU. */
static void gicr_icfgr_sgis_fixed_ppis_programmable(void **state)
{
	(void)state;
	assert_int_equal(gicr_read(0, GICR_SGI + GICD_ICFGR, 4), 0xaaaaaaaa);
	gicr_write(0, GICR_SGI + GICD_ICFGR, 4, 0);
	assert_int_equal(gicr_read(0, GICR_SGI + GICD_ICFGR, 4), 0xaaaaaaaa);
	assert_int_equal(gicr_read(0, GICR_SGI + GICD_ICFGR + 4, 4), 0);
	gicr_write(0, GICR_SGI + GICD_ICFGR + 4, 4, 2u << 8); /* PPI 20 edge */
	assert_int_equal(gicr_read(0, GICR_SGI + GICD_ICFGR + 4, 4), 2u << 8);
	assert_true(vm.vcpus[0].vgic.priv[20].edge);
	assert_int_equal(gicr_read(1, GICR_SGI + GICD_ICFGR + 4, 4), 0);
	gicr_write(0, GICR_SGI + GICD_ICFGR + 4, 4, 1u << 8); /* bit 0 of a field is RES0 */
	assert_int_equal(gicr_read(0, GICR_SGI + GICD_ICFGR + 4, 4), 0);
}

/* The one-bit-per-interrupt registers take 32-bit accesses only: others read as zero and are
   ignored, in both frames. */
static void bit_registers_ignore_byte_and_halfword_accesses(void **state)
{
	(void)state;
	gicr_write(1, GICR_SGI + GICD_ISENABLER, 1, 0xff);
	gicr_write(1, GICR_SGI + GICD_ISENABLER + 2, 2, 0xffff);
	assert_int_equal(gicr_read(1, GICR_SGI + GICD_ISENABLER, 4), 0);
	gicr_write(1, GICR_SGI + GICD_ISENABLER, 4, 0x0101);
	assert_int_equal(gicr_read(1, GICR_SGI + GICD_ISENABLER, 1), 0);
	assert_int_equal(gicr_read(1, GICR_SGI + GICD_ISENABLER, 2), 0);
	assert_int_equal(gicr_read(1, GICR_SGI + GICD_ISENABLER, 4), 0x0101);
	gicd_write(GICD_ISENABLER + 4, 1, 0xff);
	assert_int_equal(gicd_read(GICD_ISENABLER + 4, 4), 0);
	gicd_write(GICD_ISENABLER + 4, 4, 0x3);
	assert_int_equal(gicd_read(GICD_ISENABLER + 4, 1), 0);
	assert_int_equal(gicd_read(GICD_ISENABLER + 4, 4), 0x3);
}

/* --- SGIs --- */

static uint64_t sgir(unsigned intid, unsigned aff1, unsigned rs, uint16_t targets)
{
	return ((uint64_t)rs << 44) | ((uint64_t)intid << 24) | ((uint64_t)aff1 << 16) | targets;
}

static bool sgi_pending(unsigned vcpu, unsigned intid)
{
	return vm.vcpus[vcpu].vgic.priv[intid].pending;
}

/* Aff0 1 with Aff1 1, or in range 1 (Aff0 17), is no vCPU; range 0, Aff1 0 is vCPU 1. */
static void sgi_target_list_is_within_aff3_aff2_aff1_and_the_range(void **state)
{
	(void)state;
	vgic_send_sgi(&vm.vcpus[0], sgir(3, 1, 0, 0x2), false);
	vgic_send_sgi(&vm.vcpus[0], sgir(3, 0, 1, 0x2), false);
	vgic_send_sgi(&vm.vcpus[0], sgir(3, 0, 0, 0x2) | (1ull << 32), false); /* Aff2 1 */
	vgic_send_sgi(&vm.vcpus[0], sgir(3, 0, 0, 0x2) | (1ull << 48), false); /* Aff3 1 */
	assert_false(sgi_pending(0, 3) || sgi_pending(1, 3));
	vgic_send_sgi(&vm.vcpus[0], sgir(3, 0, 0, 0x2), false);
	assert_true(sgi_pending(1, 3));
	assert_false(sgi_pending(0, 3));
	vgic_send_sgi(&vm.vcpus[1], BIT(40) | sgir(4, 0, 0, 0), false); /* IRM: all but self */
	assert_true(sgi_pending(0, 4));
	assert_false(sgi_pending(1, 4));
}

/* SGI0R (group0_only) makes the SGI pending only where it is Group 0; SGI1R either group. */
static void sgi_groups_follow_the_generating_register(void **state)
{
	(void)state;
	gicr_write(0, GICR_SGI + GICD_IGROUPR, 4, 0xffffffff & ~BIT(5)); /* SGI 5 Group 0 */
	gicr_write(1, GICR_SGI + GICD_IGROUPR, 4, 0xffffffff);
	vgic_send_sgi(&vm.vcpus[0], sgir(5, 0, 0, 0x3), true);
	assert_true(sgi_pending(0, 5));
	assert_false(sgi_pending(1, 5));
	assert_int_equal(gicr_read(0, GICR_SGI + GICD_ISPENDR, 4), BIT(5));
	assert_int_equal(gicr_read(1, GICR_SGI + GICD_ISPENDR, 4), 0);
	/* A Group 0 interrupt is never forwarded: pending, but not wanted. */
	gicd_write(GICD_CTLR, 4, 3);
	gicr_write(0, GICR_SGI + GICD_ISENABLER, 4, 0xffff);
	assert_false(wanted(&vm.vcpus[0], 5));
	vgic_send_sgi(&vm.vcpus[0], sgir(6, 0, 0, 0x3), false);
	vgic_send_sgi(&vm.vcpus[1], sgir(7, 0, 0, 0x1), false);
	assert_true(sgi_pending(0, 6) && sgi_pending(1, 6) && sgi_pending(0, 7));
	gicr_write(0, GICR_SGI + GICD_IGROUPR, 4, 0xffffffff & ~BIT(8));
	vgic_send_sgi(&vm.vcpus[1], sgir(8, 0, 0, 0x1), false); /* SGI1R to a Group 0 SGI */
	assert_true(sgi_pending(0, 8));
}

/* --- the CPU interface --- */

static void apr_count_follows_ich_vtr_prebits(void **state)
{
	(void)state;
	assert_int_equal(vgic_apr_count(4ull << 26), 1); /* 5 preemption bits */
	assert_int_equal(vgic_apr_count(5ull << 26), 2); /* 6 */
	assert_int_equal(vgic_apr_count(6ull << 26), 4); /* 7 */
	assert_int_equal(vgic_apr_count(7ull << 26), 4); /* 8: not allowed, as many as exist */
	/* more priority bits than preemption bits: the count follows the preemption bits */
	assert_int_equal(vgic_apr_count((6ull << 29) | (4ull << 26)), 1);
	assert_int_equal(vgic_apr_count(0xffffffffull & ~(7ull << 26)), 1);
	assert_int_equal(vgic_apr_count((5ull << 26) | 0x1f | (0xfull << 32)), 2);
	assert_int_equal(vm.vgic.nr_aprs, HW_APRS);
}

/* --- the list registers (vgic_lr.c), on fake CPU 0, which runs vCPU 0 --- */

/* SGIs 0..7 Group 1 and enabled at vCPU 0, Group 1 on in the distributor; vCPU 1 sends the
   SGIs in mask to vCPU 0 (target list: Aff0 0). */
static void sgis_to_vcpu0(uint32_t mask)
{
	gicd_write(GICD_CTLR, 4, 2);
	gicr_write(0, GICR_SGI + GICD_IGROUPR, 4, 0xffffffff);
	gicr_write(0, GICR_SGI + GICD_ISENABLER, 4, 0xff);
	for (unsigned sgi = 0; sgi < 8; sgi++)
		if (mask & BIT(sgi))
			vgic_send_sgi(&vm.vcpus[1], ((uint64_t)sgi << 24) | BIT(0), false);
}

static uint64_t lr_state(unsigned n)
{
	return fake_arch.cpu[0].ich_lr[n] >> LR_STATE_SHIFT;
}

static void a_list_register_takes_a_wanted_sgi_and_gives_back_what_the_guest_did(void **state)
{
	struct vcpu *v = &vm.vcpus[0];
	struct virq *irq = &v->vgic.priv[5];

	(void)state;
	sgis_to_vcpu0(BIT(5));
	assert_true(wanted(v, 5));
	vgic_flush_lrs_cpu(&v->vgic, v);
	assert_int_equal(fake_arch.cpu[0].ich_lr[0] & 0x3ff, 5);
	assert_int_equal(lr_state(0), LR_PENDING);
	assert_true(fake_arch.cpu[0].ich_lr[0] & LR_GROUP1);
	assert_int_equal(fake_arch.cpu[0].ich_hcr, VGIC_HCR_EN);
	assert_false(wanted(v, 5));
	assert_true(irq->in_lr);
	/* The guest acknowledged it (active) and exits: its state comes back. */
	fake_arch.cpu[0].ich_lr[0] = (fake_arch.cpu[0].ich_lr[0] & ~(3ull << LR_STATE_SHIFT)) |
				     (LR_ACTIVE << LR_STATE_SHIFT);
	vgic_sync_lrs_cpu(&v->vgic, v);
	assert_false(irq->in_lr);
	assert_true(irq->active);
	assert_false(irq->pending);
	assert_int_equal(fake_arch.cpu[0].ich_lr[0], 0); /* emptied for the next fill */
	/* It goes back in, active, and the guest completes it: the register is empty (ELRSR). */
	vgic_flush_lrs_cpu(&v->vgic, v);
	assert_int_equal(lr_state(0), LR_ACTIVE);
	fake_arch.cpu[0].ich_lr[0] &= ~(3ull << LR_STATE_SHIFT);
	fake_arch.cpu[0].ich_elrsr |= BIT(0);
	vgic_sync_lrs_cpu(&v->vgic, v);
	assert_false(irq->active || irq->pending || irq->in_lr);
	assert_int_equal(v->vgic.lr_used, 0);
	assert_false(vgic_vcpu_pending(v));
}

static void more_wanted_than_list_registers_asks_for_an_underflow_refill(void **state)
{
	struct vcpu *v = &vm.vcpus[0];

	(void)state;
	sgis_to_vcpu0(0x3f); /* six SGIs, four list registers */
	vgic_flush_lrs_cpu(&v->vgic, v);
	for (unsigned n = 0; n < 4; n++)
		assert_int_equal(lr_state(n), LR_PENDING);
	assert_int_equal(fake_arch.cpu[0].ich_hcr, VGIC_HCR_EN | VGIC_HCR_UIE);
	assert_int_equal(v->vgic.lr_used, 0xf);
	assert_int_equal(__builtin_popcountll(v->vgic.want[0] & 0x3f), 2); /* still waiting */
	/* The guest took and completed all four: the refill takes the other two. */
	for (unsigned n = 0; n < 4; n++) {
		fake_arch.cpu[0].ich_lr[n] &= ~(3ull << LR_STATE_SHIFT);
		fake_arch.cpu[0].ich_elrsr |= BIT(n);
	}
	vgic_sync_lrs_cpu(&v->vgic, v);
	vgic_flush_lrs_cpu(&v->vgic, v);
	assert_int_equal(lr_state(0), LR_PENDING);
	assert_int_equal(lr_state(1), LR_PENDING);
	assert_int_equal(lr_state(2), 0);
	assert_int_equal(fake_arch.cpu[0].ich_hcr, VGIC_HCR_EN);
	assert_int_equal(v->vgic.want[0] & 0x3f, 0);
	assert_int_equal(v->vgic.lr_used, 0x3);
}

#define T(fn) cmocka_unit_test_setup(fn, new_vm)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(a_list_register_takes_a_wanted_sgi_and_gives_back_what_the_guest_did),
	    T(more_wanted_than_list_registers_asks_for_an_underflow_refill),
	    T(level_spi_with_its_line_high_is_wanted_by_its_target),
	    T(pmu_ppi_follows_its_level_and_is_released),
	    T(changing_the_trigger_with_the_line_high_updates_delivery),
	    T(irouter_routes_an_spi_to_the_vcpu_it_names),
	    T(irouter_ignores_byte_and_halfword_accesses),
	    T(gicr_typer_names_each_vcpu_and_marks_the_last),
	    T(gicr_identification_and_ctlr),
	    T(gicr_waker_handshake),
	    T(gicr_icfgr_sgis_fixed_ppis_programmable),
	    T(bit_registers_ignore_byte_and_halfword_accesses),
	    T(sgi_target_list_is_within_aff3_aff2_aff1_and_the_range),
	    T(sgi_groups_follow_the_generating_register),
	    T(apr_count_follows_ich_vtr_prebits),
	};

	return cmocka_run_group_tests_name("vgic", tests, NULL, NULL);
}
