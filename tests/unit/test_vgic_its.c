/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtual ITS of a VM with two vCPUs and 64 KiB of fake RAM at 0x40000000, through the
 * VM's MMIO router: its registers, commands taken from a queue in that RAM (at most a batch per
 * access, read once), what a command does to the translations and to the LPIs (who wants
 * them, the list registers they go into), and what it refuses. The rest of kestrel is
 * stand-ins; the physical GIC is the fake arch's.
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

#include "vgic_vm.h"

#define RAM_BASE   0x40000000ull
#define RAM_SIZE   0x10000ull
#define QUEUE	   0x0000 /* offsets in the fake RAM */
#define DEV_TABLE  0x1000
#define COLL_TABLE 0x2000
#define ITT	   0x3000
#define PROP	   0x4000
#define PEND	   0x0000 /* 64 KiB aligned: the only place; PTZ keeps it unread */
#define LPI	   8192

static struct vm vm;
static struct pcpu cpus[2];
static uint8_t ram[RAM_SIZE];
static unsigned kicks[2];
static unsigned writes; /* copies into the RAM: the ITS keeps its tables to itself */

static bool in_ram(const struct vm *v, ipaddr_t ipa, uint64_t size)
{
	assert_ptr_equal(v, &vm);
	return ipa >= RAM_BASE && size <= RAM_SIZE && ipa - RAM_BASE <= RAM_SIZE - size;
}

static int read_ram(struct vm *v, ipa_t src, void *dst, uint64_t size)
{
	if (!in_ram(v, ipa_addr(src), size))
		return -E_RANGE;
	memcpy(dst, ram + ipa_addr(src) - RAM_BASE, size);
	return E_OK;
}

static int write_ram(struct vm *v, ipa_t dst, const void *src, uint64_t size)
{
	(void)src;
	writes++;
	return in_ram(v, ipa_addr(dst), size) ? E_OK : -E_RANGE;
}

static void kick(struct vcpu *vcpu)
{
	kicks[vcpu->id]++;
}

static void sync_lrs(struct vcpu *vcpu)
{
	(void)vcpu;
}

static struct vcpu *by_mpidr(struct vm *v, uint64_t mpidr)
{
	(void)v, (void)mpidr;
	return NULL;
}

static enum vgic_level timer_level(struct vcpu *vcpu, unsigned intid, bool *here)
{
	(void)vcpu, (void)intid;
	*here = false;
	return VGIC_LEVEL_UNKNOWN;
}

static const struct vgic_hooks hooks = {kick,	  sync_lrs,  by_mpidr, timer_level,
					read_ram, write_ram, in_ram};

static bool access(bool write, ipaddr_t ipa, unsigned width, uint64_t *val)
{
	struct mmio_dev *dev = mmio_find(vm.mmio, vm.mmio_count, ipa);

	assert_non_null(dev);
	return write ? dev->ops->write(dev, &vm.vcpus[0], ipa - dev->base, width, *val)
		     : dev->ops->read(dev, &vm.vcpus[0], ipa - dev->base, width, val);
}

static void its_write(uint64_t off, unsigned width, uint64_t val)
{
	assert_true(access(true, GUEST_ITS_BASE + off, width, &val));
}

static uint64_t its_read(uint64_t off, unsigned width)
{
	uint64_t val = 0xbadbadbadbadull;

	assert_true(access(false, GUEST_ITS_BASE + off, width, &val));
	return val;
}

static void gicr_write(unsigned idx, uint64_t off, unsigned width, uint64_t val)
{
	assert_true(access(true, GUEST_GICR_BASE + idx * GUEST_GICR_STRIDE + off, width, &val));
}

static unsigned queued; /* commands written into the queue */

/* A command at the queue's next slot; CWRITER is moved only by go(). */
static void put(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
	uint64_t cmd[4] = {d0, d1, d2, d3};

	memcpy(ram + QUEUE + (queued % 128) * 32, cmd, 32);
	queued++;
}

static void go(void)
{
	its_write(GITS_CWRITER, 8, (queued % 128) * 32);
}

static void cmd(uint64_t d0, uint64_t d1, uint64_t d2)
{
	put(d0, d1, d2, 0);
	go();
}

#define MAPD(dev, bits, itt) cmd(0x08 | (uint64_t)(dev) << 32, (bits)-1, BIT(63) | (itt))
#define MAPC(icid, rd)	     cmd(0x09, 0, BIT(63) | (icid) | (uint64_t)(rd) << 16)
#define MAPTI(dev, ev, intid, icid)                                                                \
	cmd(0x0a | (uint64_t)(dev) << 32, (ev) | (uint64_t)(intid) << 32, icid)
#define EVENT(num, dev, ev, icid) cmd((num) | (uint64_t)(dev) << 32, ev, icid)
#define INT(dev, ev)		  EVENT(0x03, dev, ev, 0)

static int new_vm(void **state)
{
	(void)state;
	vgic_test_vm(&vm, cpus, 2);
	memset(ram, 0, sizeof(ram));
	memset(kicks, 0, sizeof(kicks));
	writes = queued = 0;
	fake_arch_reset();
	vgic_init(&vm, 4, &hooks);
	assert_int_equal(mmio_insert(vm.mmio, &vm.mmio_count, VM_MMIO_MAX, &vm.vgic.dist_dev), 0);
	assert_int_equal(mmio_insert(vm.mmio, &vm.mmio_count, VM_MMIO_MAX, &vm.its.mmio), 0);
	assert_int_equal(mmio_insert(vm.mmio, &vm.mmio_count, VM_MMIO_MAX, &vm.vgic.redist_dev), 0);
	return 0;
}

/* What a driver does first: tables, queue, LPIs on at both redistributors, Group 1 on. */
static int ready_vm(void **state)
{
	new_vm(state);
	memset(ram + PROP, 0xa1, 64); /* priority 0xa0, enabled */
	for (unsigned i = 0; i < 2; i++) {
		gicr_write(i, GICR_PROPBASER, 8, RAM_BASE + PROP + 13);
		gicr_write(i, GICR_PENDBASER, 8, RAM_BASE + PEND + BIT(62));
		gicr_write(i, GICR_CTLR, 4, 1);
	}
	assert_true(access(true, GUEST_GICD_BASE + GICD_CTLR, 4, &(uint64_t){2}));
	its_write(GITS_BASER, 8, BIT(63) | (RAM_BASE + DEV_TABLE));
	its_write(GITS_BASER + 8, 8, BIT(63) | (RAM_BASE + COLL_TABLE));
	its_write(GITS_CBASER, 8, BIT(63) | (RAM_BASE + QUEUE));
	its_write(GITS_CTLR, 4, 1);
	MAPD(1, 5, RAM_BASE + ITT);
	MAPC(0, 0);
	MAPC(1, 1);
	return 0;
}

static bool lpi_wanted(unsigned vcpu, unsigned intid)
{
	const struct vgic_lpi_rd *rd = &vm.its.rd[vcpu];
	const struct virq *irq = vgic_its_lpi(&vm, intid);
	unsigned slot = (unsigned)((const struct vgic_lpi *)(const void *)irq - vm.its.lpis);

	return irq && (rd->lpi_want[slot / 64] & BIT(slot % 64)) &&
	       (vm.vcpus[vcpu].vgic.want[VGIC_WANT_LPI / 64] & BIT(VGIC_WANT_LPI % 64));
}

static void registers_identify_the_its_and_keep_what_the_guest_may_write(void **state)
{
	(void)state;
	/* Physical, ITT entries of 8 bytes, 16 EventID and DeviceID bits, 16 collections. */
	assert_int_equal(its_read(GITS_TYPER, 8),
			 BIT(0) | 7 << 4 | 15 << 8 | 15 << 13 | 3ull << 32 | BIT(36));
	assert_int_equal(its_read(GITS_TYPER + 4, 4), 3 | 1 << 4);
	assert_int_equal(its_read(GITS_CTLR, 4), BIT(31)); /* quiescent while disabled */
	assert_int_equal(its_read(GIC_PIDR2, 4) & 0xf0, 0x30);
	its_write(GITS_BASER, 8, ~0ull);
	/* Valid, caches, address 47:12, page size, size; Type 1 and Entry_Size 7 are fixed. */
	assert_int_equal(its_read(GITS_BASER, 8), 0xb9e7fffffffffeffull);
	its_write(GITS_BASER + 16, 8, ~0ull);
	assert_int_equal(its_read(GITS_BASER + 16, 8), 0);
	its_write(GITS_CBASER, 4, 0x40000001);
	its_write(GITS_CBASER + 4, 4, 0x80000000);
	assert_int_equal(its_read(GITS_CBASER, 8), 0x8000000040000001ull);
	its_write(GITS_CTLR, 4, 1);
	its_write(GITS_CBASER, 8, 0); /* ignored while enabled */
	assert_int_equal(its_read(GITS_CBASER, 8), 0x8000000040000001ull);
	assert_true(its_read(GITS_CTLR, 4) == 1);
	/* A misaligned access aborts; a byte access to a register reads as zero. */
	uint64_t v;
	assert_false(access(false, GUEST_ITS_BASE + GITS_TYPER + 2, 4, &v));
	assert_int_equal(its_read(GITS_CTLR, 1), 0);
}

static void
int_makes_the_lpi_wanted_by_its_collections_vcpu_and_it_reaches_a_list_register(void **state)
{
	(void)state;
	MAPTI(1, 0, LPI, 0);
	MAPTI(1, 1, LPI + 1, 1);
	assert_int_equal(vm.its.errors, 0);
	assert_false(lpi_wanted(0, LPI));
	INT(1, 1);
	assert_true(lpi_wanted(1, LPI + 1));
	assert_false(lpi_wanted(0, LPI + 1));
	assert_int_equal(kicks[1], 1); /* vCPU 1 must notice */
	INT(1, 0);
	assert_true(lpi_wanted(0, LPI));
	assert_true(vm.vcpus[0].attention);
	vgic_flush_lrs(&vm.vcpus[0]);
	assert_int_equal(fake_cpu()->ich_lr[0], LPI | 0xa0ull << 48 | LR_GROUP1 | 1ull << 62);
	assert_false(lpi_wanted(0, LPI));
	/* The guest takes and ends it: given back, nothing left. */
	fake_ich_lr_write(0, 0);
	vgic_sync_lrs(&vm.vcpus[0]);
	assert_false(vgic_its_lpi(&vm, LPI)->pending);
	assert_false(vgic_vcpu_pending(&vm.vcpus[0]));
	assert_true(vgic_vcpu_pending(&vm.vcpus[1]));
	assert_int_equal(writes, 0);
}

static void movi_and_mapc_move_a_pending_lpi_and_discard_drops_it(void **state)
{
	(void)state;
	MAPTI(1, 2, LPI + 2, 1);
	gicr_write(1, GICR_CTLR, 4, 0); /* stays set */
	INT(1, 2);
	assert_true(lpi_wanted(1, LPI + 2));
	EVENT(0x01, 1, 2, 0); /* MOVI to collection 0 */
	assert_true(lpi_wanted(0, LPI + 2));
	assert_false(lpi_wanted(1, LPI + 2));
	MAPC(0, 1); /* collection 0 moves to vCPU 1: its LPIs with it */
	assert_true(lpi_wanted(1, LPI + 2));
	assert_false(lpi_wanted(0, LPI + 2));
	EVENT(0x0f, 1, 2, 0); /* DISCARD */
	assert_false(lpi_wanted(1, LPI + 2));
	assert_null(vgic_its_lpi(&vm, LPI + 2)); /* mapped by nothing: its slot is free */
	INT(1, 2);
	assert_int_equal(vm.its.errors, 1);
	assert_false(vgic_vcpu_pending(&vm.vcpus[1]));
}

static void inv_reads_the_configuration_table_again(void **state)
{
	(void)state;
	ram[PROP + 3] = 0x50; /* disabled */
	MAPTI(1, 3, LPI + 3, 0);
	INT(1, 3);
	assert_false(lpi_wanted(0, LPI + 3));
	ram[PROP + 3] = 0x51;
	assert_false(lpi_wanted(0, LPI + 3)); /* cached until INV */
	EVENT(0x0c, 1, 3, 0);
	assert_true(lpi_wanted(0, LPI + 3));
	assert_int_equal(vgic_its_lpi(&vm, LPI + 3)->priority, 0x50);
	EVENT(0x04, 1, 3, 0); /* CLEAR */
	assert_false(lpi_wanted(0, LPI + 3));
}

/* A queue of 127 commands is taken 64 at a time: one piece per access, none unbounded. */
static void a_long_queue_is_taken_in_bounded_pieces(void **state)
{
	unsigned start = queued;

	(void)state;
	for (unsigned i = 0; i < 127; i++)
		put(0x05, 0, 0, 0); /* SYNC to vCPU 0 */
	go();
	assert_int_equal(vm.its.creadr, ((start + ITS_CMD_BATCH) % 128) * 32);
	assert_int_equal(vm.its.cmds, start + ITS_CMD_BATCH);
	/* Reading CREADR, as a driver waits, takes the next piece. */
	assert_int_equal(its_read(GITS_CREADR, 8), ((start + 127) % 128) * 32);
	assert_int_equal(vm.its.errors, 0);
}

static void refused_commands_are_dropped_and_counted(void **state)
{
	uint64_t errors = vm.its.errors;

	(void)state;
	MAPD(600, 5, RAM_BASE + ITT);	    /* past the 512 entries of the device table */
	MAPD(2, 5, 0x1000);		    /* ITT outside RAM */
	MAPD(2, 17, RAM_BASE + ITT);	    /* more EventID bits than GITS_TYPER says */
	MAPC(16, 0);			    /* ICID past CIDbits */
	MAPC(2, 2);			    /* no vCPU 2 */
	MAPTI(1, 32, LPI, 0);		    /* event past the device's */
	MAPTI(1, 4, 100, 0);		    /* not an LPI */
	MAPTI(1, 4, 1u << VGIC_ID_BITS, 0); /* beyond IDbits */
	MAPTI(9, 0, LPI, 0);		    /* device not mapped */
	cmd(0xff, ~0ull, ~0ull);	    /* no such command */
	cmd(0x05, 0, 5ull << 16);	    /* SYNC to no redistributor */
	assert_int_equal(vm.its.errors - errors, 11);
	for (unsigned i = 0; i < ITS_MAX_ITES; i++)
		assert_false(vm.its.ite[i].valid);
	assert_false(vm.its.stalled);
	/* The device table outside RAM: MAPD refused too. */
	its_write(GITS_CTLR, 4, 0);
	its_write(GITS_BASER, 8, BIT(63) | 0x10000000);
	its_write(GITS_CTLR, 4, 1);
	MAPD(3, 5, RAM_BASE + ITT);
	assert_int_equal(vm.its.errors - errors, 12);
}

/* Every LPI slot in use: one more distinct LPI is refused; a shared one is not. */
static void lpi_slots_are_bounded(void **state)
{
	(void)state;
	its_write(GITS_CTLR, 4, 0);
	for (unsigned d = 0; d < 8; d++) {
		uint64_t mapd[4] = {0x08 | (uint64_t)(10 + d) << 32, 4, BIT(63) | (RAM_BASE + ITT)};
		assert_int_equal(vgic_its_command(&vm, mapd), E_OK);
		for (unsigned e = 0; e < 32; e++) {
			uint64_t mapti[4] = {0x0a | (uint64_t)(10 + d) << 32,
					     e | (uint64_t)(LPI + d * 32 + e) << 32, 0};
			assert_int_equal(vgic_its_command(&vm, mapti), E_OK);
		}
	}
	uint64_t more[4] = {0x0a | 1ull << 32, 0 | (uint64_t)(LPI + 300) << 32, 0};
	assert_int_equal(vgic_its_command(&vm, more), -E_NOMEM);
	uint64_t shared[4] = {0x0a | 1ull << 32, 0 | (uint64_t)LPI << 32, 0};
	assert_int_equal(vgic_its_command(&vm, shared), -E_NOMEM); /* no entry left either */
	uint64_t discard[4] = {0x0f | 10ull << 32, 5, 0};
	assert_int_equal(vgic_its_command(&vm, discard), E_OK);
	assert_int_equal(vgic_its_command(&vm, shared), E_OK); /* LPI 8192 shared by two */
	assert_int_equal(((struct vgic_lpi *)(void *)vgic_its_lpi(&vm, LPI))->refs, 2);
}

/* A queue the ITS cannot read stalls it; Retry reads it again; a new CBASER starts over. */
static void an_unreadable_queue_stalls_the_its(void **state)
{
	(void)state;
	its_write(GITS_CTLR, 4, 0);
	its_write(GITS_CBASER, 8, BIT(63) | 0x1000);
	its_write(GITS_CTLR, 4, 1);
	its_write(GITS_CWRITER, 8, 0x40);
	assert_int_equal(its_read(GITS_CREADR, 8), 1);
	its_write(GITS_CWRITER, 8, 0x41); /* Retry */
	assert_int_equal(its_read(GITS_CREADR, 8), 1);
	its_write(GITS_CWRITER, 8, 0x80000); /* past the queue: ignored */
	assert_int_equal(its_read(GITS_CWRITER, 8), 0x40);
	its_write(GITS_CTLR, 4, 0);
	its_write(GITS_CBASER, 8, BIT(63) | (RAM_BASE + QUEUE));
	assert_int_equal(its_read(GITS_CREADR, 8), 0);
	assert_int_equal(its_read(GITS_CWRITER, 8), 0);
}

/* The queue is read once per command: rewriting a command taken changes nothing. */
static void a_command_is_read_once(void **state)
{
	(void)state;
	MAPTI(1, 0, LPI, 0);
	memset(ram + QUEUE + (queued - 1) * 32, 0xff, 32);
	assert_non_null(vgic_its_lpi(&vm, LPI));
	INT(1, 0);
	assert_true(lpi_wanted(0, LPI));
}

static void translater_writes_are_ints_from_device_0(void **state)
{
	(void)state;
	MAPD(0, 5, RAM_BASE + ITT);
	MAPTI(0, 7, LPI + 7, 1);
	its_write(GITS_TRANSLATER, 4, 7);
	assert_true(lpi_wanted(1, LPI + 7));
	its_write(GITS_CTLR, 4, 0);
	EVENT(0x04, 0, 7, 0); /* queued: not taken while disabled */
	assert_true(lpi_wanted(1, LPI + 7));
	its_write(GITS_TRANSLATER, 4, 7); /* ignored while disabled */
	its_write(GITS_CTLR, 4, 1);	  /* the CLEAR is taken now */
	assert_false(lpi_wanted(1, LPI + 7));
}

#define T(fn)  cmocka_unit_test_setup(fn, new_vm)
#define TR(fn) cmocka_unit_test_setup(fn, ready_vm)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(registers_identify_the_its_and_keep_what_the_guest_may_write),
	    TR(int_makes_the_lpi_wanted_by_its_collections_vcpu_and_it_reaches_a_list_register),
	    TR(movi_and_mapc_move_a_pending_lpi_and_discard_drops_it),
	    TR(inv_reads_the_configuration_table_again),
	    TR(a_long_queue_is_taken_in_bounded_pieces),
	    TR(refused_commands_are_dropped_and_counted),
	    TR(lpi_slots_are_bounded),
	    TR(an_unreadable_queue_stalls_the_its),
	    TR(a_command_is_read_once),
	    TR(translater_writes_are_ints_from_device_0),
	};

	return cmocka_run_group_tests_name("vgic_its", tests, NULL, NULL);
}
