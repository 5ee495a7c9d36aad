/* unit-sources: hyp/vdev/vgic.c hyp/vdev/vgic_mmio.c hyp/vdev/vgic_lr.c hyp/core/mmio.c */
/*
 * The virtual GICv3's distributor registers, through the VM's MMIO router, for a VM of two
 * vCPUs: what a guest access does to the interrupt state and to the "want" bitmap that says
 * which interrupts must go into list registers. The rest of kestrel (vm.c, sched.c, the
 * physical GIC) is stand-ins here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/drivers.h>
#include <kestrel/guest_layout.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

#define GICD_CTLR      0x0000
#define GICD_IGROUPR   0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICFGR     0x0c00
#define GICD_IROUTER   0x6000
#define UART_INTID     (32 + GUEST_UART_SPI)

static struct vm vm;
static struct pcpu cpus[2];

/* --- stand-ins for the rest of kestrel --- */

struct vcpu *vm_vcpu_by_mpidr(struct vm *v, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffull; /* as vm.c: affinity fields only */
	for (unsigned i = 0; i < v->vcpu_count; i++)
		if ((v->vcpus[i].vmpidr & 0xff00ffffffull) == mpidr)
			return &v->vcpus[i];
	return NULL;
}

void pcpu_kick(struct pcpu *pcpu)
{
	(void)pcpu;
}

void vcpu_kick(struct vcpu *vcpu)
{
	(void)vcpu;
}

void gicv3_deactivate(unsigned intid)
{
	(void)intid;
}

static int new_vm(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.vcpu_count = 2;
	for (unsigned i = 0; i < 2; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].vmpidr = GUEST_MPIDR(i);
		vm.vcpus[i].pcpu = &cpus[i];
	}
	vgic_init(&vm, 4);
	return 0;
}

/* A guest access at the distributor's offset off, as dabt_exit makes it. */
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
	assert_int_equal(vm.vgic.spis[UART_INTID - 32].target, 0); /* Aff3 = 1: no such vCPU */
}

#define T(fn) cmocka_unit_test_setup(fn, new_vm)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(level_spi_with_its_line_high_is_wanted_by_its_target),
	    T(changing_the_trigger_with_the_line_high_updates_delivery),
	    T(irouter_routes_an_spi_to_the_vcpu_it_names),
	    T(irouter_ignores_byte_and_halfword_accesses),
	};

	return cmocka_run_group_tests_name("vgic", tests, NULL, NULL);
}
