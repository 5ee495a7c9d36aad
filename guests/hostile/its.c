/* SPDX-License-Identifier: Apache-2.0 */
/*
 * its: a VM that attacks kestrel's virtual ITS for run-ms= milliseconds (default 6000), round
 * after round:
 *   - garbage: a queue of random commands (random numbers, IDs and addresses), taken by
 *     polling GITS_CREADR;
 *   - tables outside its RAM: GITS_BASER<n>, an ITT and the command queue itself pointed at
 *     addresses that are not its RAM (0, the GIC, just past its RAM, just before it, where
 *     kestrel's image is in the machine, the top of the IPA space and past it), then commands
 *     that would use them; GICR_PROPBASER and GICR_PENDBASER rewritten while its LPIs are on
 *     (ignored: changing them then is UNPREDICTABLE);
 *   - an endless queue: 1 MiB of commands (the most GITS_CBASER can name), CWRITER one command
 *     behind CREADR, the queue rewritten while the ITS reads it, taken by polling CREADR;
 *   - an LPI storm: every LPI slot kestrel has mapped and made pending at once, through INT
 *     and GITS_TRANSLATER, taken or left pending behind a priority mask.
 * After every round the ITS must still work: a device mapped anew takes an LPI to this vCPU.
 * With alternate-ms=A it attacks only in the even windows of A ms of the physical count
 * (guests/lib/alternate.h). Prints "HOSTILE: its commands C garbage G outside O stalls S
 * lpis L rounds R".
 */
#include "alternate.h"
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "its.h"
#include "mmio.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define ID_BITS	     14
#define NR_LPIS	     ((1u << ID_BITS) - LPI_BASE)
#define QUEUE_PAGES  256 /* 1 MiB: the most GITS_CBASER.Size names */
#define QUEUE_CMDS   (QUEUE_PAGES * 4096 / 32)
#define GOOD_DEV     1
#define STORM_DEVS   8 /* 8 devices of 32 events: 256 LPIs, every slot kestrel has */
#define WAIT_SECONDS 2

static uint8_t prop_table[NR_LPIS] __attribute__((aligned(4096)));
static uint8_t pend_table[1u << (ID_BITS - 3)] __attribute__((aligned(65536)));
static uint64_t device_table[512] __attribute__((aligned(4096)));
static uint64_t collection_table[512] __attribute__((aligned(4096)));
static uint8_t itt[8 << 5] __attribute__((aligned(256)));
static struct its_cmd queue[QUEUE_CMDS] __attribute__((aligned(65536)));

static struct rng rng;
static volatile uint32_t lpis_taken;
static volatile uint32_t last_lpi;
static uint64_t commands, garbage, outside, stalls;

static void irq_hook(unsigned intid)
{
	if (intid >= LPI_BASE) {
		lpis_taken = lpis_taken + 1;
		last_lpi = intid;
	}
}

/* Addresses that are not this VM's RAM, each 64 KiB aligned (every table's alignment). */
static uint64_t outside_address(void)
{
	uint64_t ram_end = (boot_info.mem_base + boot_info.mem_size + 0xffff) & ~0xfffful;
	/* 0, its distributor, just past its RAM, just before it (where kestrel's own image is
	   in the machine), the top of the IPA space and past it. */
	const uint64_t addrs[] = {0,
				  GICD_BASE,
				  ram_end,
				  boot_info.mem_base - 0x10000,
				  (1ul << 48) - 0x10000,
				  (1ul << 52) - 0x10000};

	return addrs[rng_below(&rng, ARRAY_LEN(addrs))];
}

/* The ITS disabled, a queue of pages at base (maybe not RAM), enabled again. */
static void new_queue(uint64_t base, unsigned pages)
{
	mmio_write32(GITS_BASE + GITS_CTLR, 0);
	if (base == (uintptr_t)queue)
		its_queue_init(queue, pages);
	else
		mmio_write64(GITS_BASE + GITS_CBASER, GITS_VALID | base | (pages - 1));
	mmio_write32(GITS_BASE + GITS_CTLR, GITS_CTLR_ENABLED);
}

static void tables(uint64_t dev, uint64_t coll)
{
	mmio_write32(GITS_BASE + GITS_CTLR, 0);
	mmio_write64(GITS_BASE + GITS_BASER(0), GITS_VALID | dev);
	mmio_write64(GITS_BASE + GITS_BASER(1), GITS_VALID | coll);
	mmio_write32(GITS_BASE + GITS_CTLR, GITS_CTLR_ENABLED);
}

/* Polls CREADR until it reaches CWRITER or stalls, for at most a second; returns whether it
   got there (kestrel takes a bounded piece per poll: this is where an endless queue goes). */
static bool drain(void)
{
	uint64_t deadline = counter_now() + counter_freq(), r, w;

	do {
		r = its_creadr();
		w = mmio_read64(GITS_BASE + GITS_CWRITER);
	} while (r != w && !(r & GITS_CREADR_STALLED) && counter_now() < deadline);
	if (r & GITS_CREADR_STALLED)
		stalls++;
	return r == w;
}

static void send(struct its_cmd c)
{
	commands++;
	(void)its_send(c);
}

/* The ITS still works: a fresh queue and tables, device GOOD_DEV's event 0 is LPI 8192 on
   collection 0 (this vCPU), and an INT of it is taken. */
static bool still_works(void)
{
	uint64_t deadline = counter_now() + WAIT_SECONDS * counter_freq();
	uint32_t before = lpis_taken;

	gic_set_pmr(0xff);
	tables((uintptr_t)device_table, (uintptr_t)collection_table);
	new_queue((uintptr_t)queue, 1);
	prop_table[0] = 0xa0 | LPI_ENABLE;
	dsb_sy();
	send(its_mapd(GOOD_DEV, 5, (uintptr_t)itt, false));
	send(its_mapd(GOOD_DEV, 5, (uintptr_t)itt, true));
	send(its_mapc(0, 0, true));
	send(its_event(ITS_DISCARD, GOOD_DEV, 0, 0));
	send(its_mapti(GOOD_DEV, 0, LPI_BASE, 0));
	send(its_event(ITS_INV, GOOD_DEV, 0, 0));
	send(its_event(ITS_INT, GOOD_DEV, 0, 0));
	while (lpis_taken == before && counter_now() < deadline)
		dmb_sy();
	return lpis_taken != before;
}

static void attack_garbage(void)
{
	unsigned n = 1 + (unsigned)rng_below(&rng, 127);

	new_queue((uintptr_t)queue, 1);
	for (unsigned i = 0; i < n; i++) {
		struct its_cmd *c = &queue[i];
		for (unsigned w = 0; w < 4; w++)
			c->d[w] = rng_next(&rng);
		/* Mostly real command numbers, with wild IDs and addresses. */
		if (rng_below(&rng, 4))
			c->d[0] = (c->d[0] & ~0xfful) | rng_below(&rng, 0x10);
		if (rng_below(&rng, 2))
			c->d[2] =
			    (c->d[2] & ~0xfffffffff00ul) | (outside_address() & 0xfffffffff00ul);
	}
	dsb_sy();
	mmio_write64(GITS_BASE + GITS_CWRITER, (uint64_t)n * 32);
	drain();
	garbage += n;
	commands += n;
}

static void attack_outside(void)
{
	uint64_t a = outside_address(), b = outside_address();

	outside++;
	tables(a, b);
	send(its_mapd(2, 5, (uintptr_t)itt, true));
	send(its_mapc(3, 0, true));
	tables((uintptr_t)device_table, (uintptr_t)collection_table);
	send(its_mapd(3, 5, outside_address(), true));
	send(its_mapti(3, 0, LPI_BASE + 1, 0));
	send(its_event(ITS_INT, 3, 0, 0));
	/* The LPI tables elsewhere: kestrel reads configuration and pending bits from there. */
	uintptr_t rd = gic_redist();
	mmio_write64(rd + GICR_PROPBASER, outside_address() | (ID_BITS - 1));
	mmio_write64(rd + GICR_PENDBASER, outside_address());
	send(its_mapd(4, 5, (uintptr_t)itt, true));
	send(its_mapti(4, 0, LPI_BASE + 2, 0));
	send(its_event(ITS_INV, 4, 0, 0));
	send(its_invall(0));
	/* The queue itself elsewhere: the ITS stalls; Retry; then a queue of our own again. */
	new_queue(outside_address(), 1 + (unsigned)rng_below(&rng, QUEUE_PAGES));
	mmio_write64(GITS_BASE + GITS_CWRITER, 64);
	drain();
	mmio_write64(GITS_BASE + GITS_CWRITER, 64 | GITS_CWRITER_RETRY);
	drain();
}

static void attack_endless(void)
{
	for (unsigned i = 0; i < QUEUE_CMDS; i++)
		queue[i] = (i & 1) ? its_sync(0) : its_event(ITS_INT, GOOD_DEV, 0, 0);
	new_queue((uintptr_t)queue, QUEUE_PAGES);
	/* One behind: 32767 commands to take, and the queue rewritten while they are. */
	mmio_write64(GITS_BASE + GITS_CWRITER, (uint64_t)(QUEUE_CMDS - 1) * 32);
	uint64_t until = counter_now() + counter_freq() / 4;
	unsigned at = 0, now;
	while (counter_now() < until) {
		now = (unsigned)((its_creadr() >> 5) % QUEUE_CMDS);
		commands += now - at;
		at = now;
		queue[(at + 1) % QUEUE_CMDS].d[0] = rng_next(&rng);
	}
	drain();
	commands += (unsigned)((its_creadr() >> 5) % QUEUE_CMDS) - at;
}

static void attack_storm(void)
{
	gic_set_pmr(rng_below(&rng, 2) ? 0x10 : 0xff); /* the LPIs left pending, or taken */
	for (unsigned i = 0; i < 256; i++)
		prop_table[i] = 0xa0 | LPI_ENABLE;
	dsb_sy();
	new_queue((uintptr_t)queue, QUEUE_PAGES);
	for (unsigned d = 0; d < STORM_DEVS; d++) {
		send(its_mapd(16 + d, 5, (uintptr_t)itt, true));
		for (unsigned e = 0; e < 32; e++)
			send(its_mapti(16 + d, e, LPI_BASE + d * 32 + e, 0));
	}
	send(its_invall(0));
	for (unsigned d = 0; d < STORM_DEVS; d++)
		for (unsigned e = 0; e < 32; e++)
			send(its_event(ITS_INT, 16 + d, e, 0));
	send(its_mapd(0, 5, (uintptr_t)itt, true));
	send(its_mapti(0, 1, LPI_BASE + 300, 0));
	for (unsigned i = 0; i < 1000; i++)
		mmio_write32(GITS_BASE + GITS_TRANSLATER, (uint32_t)rng_below(&rng, 40));
	for (unsigned d = 0; d < STORM_DEVS; d++)
		send(its_mapd(16 + d, 5, 0, false));
	gic_set_pmr(0xff);
}

int main(const void *dtb)
{
	uint64_t run_ms = bootarg("run-ms", 6000), start = ms_now(), rounds = 0, broken = 0;
	(void)dtb;

	rng.state = bootarg("seed", 11);
	if (!check(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	gic_set_irq_hook(irq_hook);
	mmio_write64(gic_redist() + GICR_PROPBASER, (uintptr_t)prop_table | (ID_BITS - 1));
	mmio_write64(gic_redist() + GICR_PENDBASER, (uintptr_t)pend_table);
	mmio_write32(gic_redist() + GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	irq_unmask();
	alternate_init();
	check(still_works(), "the ITS takes an LPI before the attack");
	do {
		if (alternate_quiet())
			continue;
		switch (rounds % 4) {
		case 0:
			attack_garbage();
			break;
		case 1:
			attack_outside();
			break;
		case 2:
			attack_endless();
			break;
		default:
			attack_storm();
			break;
		}
		rounds++;
		if (!still_works())
			broken++;
	} while (ms_now() - start < run_ms);
	irq_mask();
	printf("HOSTILE: its commands %lu garbage %lu outside %lu stalls %lu lpis %u rounds %lu\n",
	       commands, garbage, outside, stalls, lpis_taken, rounds);
	check_eq("rounds after which the ITS no longer took an LPI", broken, 0);
	check(!outside || stalls >= outside,
	      "each queue outside RAM stalled the ITS (%lu stalls, %lu rounds)", stalls, outside);
	test_finish();
}
