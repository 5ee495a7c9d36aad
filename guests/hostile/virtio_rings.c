/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_rings: a VM that attacks kestrel's virtio devices through their rings, beside the
 * victim on its CPU (hostile-virtio.dts). It has kestrel's virtio-console (slot 0), a
 * virtio-net port (slot 1, on a switch with another VM's port) and a virtio-blk disk (slot 2).
 * Round after round it starts a device as a driver would, posts one broken or hostile chain on
 * one of its queues and notifies: descriptors pointing below, past and around its RAM (where
 * kestrel's memory and other VMs' are on the machine), wrapping at 2^64, giant lengths, loops,
 * next and head indices out of range, an avail index far ahead, rings outside RAM or of a bad
 * size, device-writable buffers where the device reads and the reverse, and storms of
 * notifies. Its second vCPU, on the other CPU, rewrites the descriptors and avail rings of all
 * three devices all the while, so kestrel reads rings that change under it.
 *
 * Every round must end with the device either in DEVICE_NEEDS_RESET, or having used the chain,
 * or having done nothing (a receive queue waits for frames); after a reset the device must
 * start again. A device that does not start again is an error. It attacks in the even windows
 * of alternate-ms= only, so the victim measures its share against its rate alone. Its last line:
 * "HOSTILE: virtio rounds N broken B used U idle I errors E".
 */
#include <stddef.h>

#include "alternate.h"
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "mmio.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"
#include "virtio_mmio.h"

#define DEVICES 3 /* console, net, blk: slots 0, 1, 2 */
#define QUEUES	2 /* the first two queues of each (blk has one: its second is absent) */

static struct virtq rings[DEVICES][QUEUES];
static uint8_t bufs[VIRTQ_N][512] __attribute__((aligned(16)));

static const uint32_t device_ids[DEVICES] = {3, 1, 2};
static volatile int racing, racer_done, hold, held;
static struct rng rng;

static uintptr_t slot(unsigned d)
{
	return SLOT(d);
}

static uint32_t r32(unsigned d, unsigned off)
{
	return mmio_read32(slot(d) + off);
}

static void w32(unsigned d, unsigned off, uint32_t v)
{
	mmio_write32(slot(d) + off, v);
}

static unsigned queues_of(unsigned d)
{
	return d == 2 ? 1 : 2;
}

/* §3.1.1 with VERSION_1 and RING_RESET; true if the device says DRIVER_OK. */
static bool start_device(unsigned d)
{
	if (!virtio_negotiate(slot(d), F_VERSION_1 | F_RING_RESET))
		return false;
	for (unsigned q = 0; q < queues_of(d); q++)
		virtq_setup(slot(d), q, &rings[d][q], VIRTQ_N);
	w32(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	w32(d, R_INT_ACK, 3);
	return r32(d, R_STATUS) == (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* Addresses a guest may not have kestrel touch: below its RAM (kestrel and other VMs are at
   those physical addresses on the machine, and the MMIO devices at those IPAs), its last bytes
   running past its end, wrapping at 2^64, and the virtio window itself. */
static uint64_t bad_address(struct rng *r)
{
	switch (rng_below(r, 6)) {
	case 0:
		return 0x1000;
	case 1:
		return boot_info.mem_base - 0x1000;
	case 2:
		return boot_info.mem_base + boot_info.mem_size - 8;
	case 3:
		return 0xfffffffffffff000ull + rng_below(r, 0x1000);
	case 4:
		return WINDOW;
	default:
		return 0x40000000; /* the machine's RAM base: where kestrel itself is */
	}
}

/* One hostile chain or ring on queue q of device d, then a notify. */
static void attack(unsigned d, unsigned q)
{
	struct virtq *r = &rings[d][q];
	/* What the console's transmit queue takes from RAM is printed: its buffers are never in
	   RAM here, since vCPU 1 may give any of them a length at any time. */
	uint64_t buf = d == 0 ? bad_address(&rng) : (uintptr_t)bufs[rng_below(&rng, VIRTQ_N)];
	uint16_t writable = q == 0 || d == 2 ? DESC_WRITE : 0;
	uint32_t blen = d == 0 ? 0 : 16;

	switch (rng_below(&rng, 10)) {
	case 0: /* a buffer outside its RAM */
		r->desc[0] = (struct desc){bad_address(&rng), 512, writable, 0};
		virtq_offer(r, 0);
		break;
	case 1: /* a giant length from its RAM's start */
		r->desc[0] = (struct desc){boot_info.mem_base, 0xffffffffu, writable, 0};
		virtq_offer(r, 0);
		break;
	case 2: /* a loop of two */
		r->desc[0] = (struct desc){buf, blen, DESC_NEXT | writable, 1};
		r->desc[1] = (struct desc){buf, blen, DESC_NEXT | writable, 0};
		virtq_offer(r, 0);
		break;
	case 3: /* a next out of range */
		r->desc[0] = (struct desc){buf, blen, DESC_NEXT | writable,
					   (uint16_t)(VIRTQ_N + rng_below(&rng, 60000))};
		virtq_offer(r, 0);
		break;
	case 4: /* a head out of range */
		virtq_offer(r, (uint16_t)(VIRTQ_N + rng_below(&rng, 60000)));
		break;
	case 5: /* the avail index far ahead */
		r->avail.idx = (uint16_t)(r->next_avail + VIRTQ_N + 1 + rng_below(&rng, 30000));
		dsb_sy();
		break;
	case 6: /* the wrong direction: readable where the device writes, and the reverse */
		r->desc[0] = (struct desc){buf, blen, (uint16_t)(writable ^ DESC_WRITE), 0};
		virtq_offer(r, 0);
		break;
	case 7: /* the ring itself outside RAM, or of a size that is no power of two */
		w32(d, R_QUEUE_SEL, q);
		w32(d, R_QUEUE_RESET, 1);
		if (rng_below(&rng, 2))
			virtio_queue_at(slot(d), q, bad_address(&rng), bad_address(&rng),
					bad_address(&rng), VIRTQ_N);
		else
			virtio_queue_at(slot(d), q, (uintptr_t)r->desc, (uintptr_t)&r->avail,
					(uintptr_t)&r->used,
					3 + 2 * (unsigned)rng_below(&rng, 100));
		break;
	case 8: /* a notify storm, of its queues and of queues it has not */
		for (unsigned i = 0; i < 2000; i++)
			w32(d, R_NOTIFY, (uint32_t)rng_below(&rng, 8));
		return;
	default: /* a chain of every descriptor, each pointing somewhere bad */
		for (unsigned i = 0; i < VIRTQ_N; i++)
			r->desc[i] =
			    (struct desc){bad_address(&rng), (uint32_t)rng_next(&rng),
					  (uint16_t)(DESC_NEXT | writable), (uint16_t)(i + 1)};
		virtq_offer(r, 0);
		break;
	}
	w32(d, R_NOTIFY, q);
}

/* vCPU 1: rewrites descriptors and avail rings of every device with hostile values (the
   console's only ever outside its RAM: what it would read there is printed). */
void secondary_main(uint64_t context)
{
	struct rng mine = {context};

	while (racing) {
		if (hold) { /* a device is being started: the rings stay still meanwhile */
			held = 1;
			while (hold)
				;
			held = 0;
		}
		unsigned dev = (unsigned)rng_below(&mine, DEVICES);
		struct virtq *r = &rings[dev][rng_below(&mine, QUEUES)];
		struct desc *d = &r->desc[rng_below(&mine, VIRTQ_N)];
		uint64_t x = rng_next(&mine);
		d->addr = x & 1 && dev ? (uintptr_t)bufs[0] : bad_address(&mine);
		d->len = (uint32_t)(x >> 8);
		d->flags = (uint16_t)((x >> 40) & 7);
		d->next = (uint16_t)(x >> 48) % (VIRTQ_N + 2);
		r->avail.ring[(x >> 20) % VIRTQ_N] = (uint16_t)((x >> 24) % (VIRTQ_N + 2));
		if (!(x & 0xf00))
			r->avail.idx = (uint16_t)(x >> 32);
	}
	dsb_sy();
	racer_done = 1;
	dsb_sy();
	psci_cpu_off();
}

int main(const void *dtb)
{
	uint64_t run_ms = bootarg("run-ms", 6000), start = ms_now();
	unsigned rounds = 0, broken = 0, used = 0, idle = 0, errors = 0;
	(void)dtb;

	rng.state = counter_now();
	if (!check(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	alternate_init();
	for (unsigned d = 0; d < DEVICES; d++)
		if (!check(r32(d, R_DEVICE_ID) == device_ids[d] && start_device(d),
			   "slot %u: device %u starts", d, device_ids[d]))
			test_finish();
	racing = 1;
	dsb_sy();
	if (!check(boot_info.num_cpus >= 2 &&
		       psci_cpu_on(boot_info.cpu_mpidr[1], entry_ipa(secondary_entry),
				   rng_next(&rng) << 8 | 1) == PSCI_SUCCESS, /* stack slot 1 */
		   "vCPU 1 started, rewriting the rings"))
		test_finish();
	while (ms_now() - start < run_ms) {
		if (alternate_quiet()) {
			alternate_rest();
			continue;
		}
		unsigned d = (unsigned)rng_below(&rng, DEVICES);
		unsigned q = (unsigned)rng_below(&rng, queues_of(d));
		uint16_t before = virtq_used_idx(&rings[d][q]);
		attack(d, q);
		rounds++;
		if (r32(d, R_STATUS) & S_NEEDS_RESET)
			broken++;
		else if (virtq_used_idx(&rings[d][q]) != before)
			used++;
		else
			idle++;
		/* Started with vCPU 1 holding still: a ring it rewrote during the start could break
		   the device again at once (kestrel looks at the queues at DRIVER_OK). */
		hold = 1;
		while (!held)
			;
		bool started = start_device(d);
		hold = 0;
		while (held)
			;
		if (!started && errors++ < 4)
			printf("round %u: slot %u did not start again after its attack (status "
			       "0x%x)\n",
			       rounds, d, r32(d, R_STATUS));
	}
	racing = 0;
	dsb_sy();
	for (uint64_t t = ms_now(); !racer_done && ms_now() - t < 5000;)
		;
	check(racer_done, "vCPU 1 stopped");
	printf("HOSTILE: virtio rounds %u broken %u used %u idle %u errors %u\n", rounds, broken,
	       used, idle, errors);
	check(rounds > 0 && broken > 0 && errors == 0,
	      "every device ended each round used, idle or in NEEDS_RESET, and started again");
	test_finish();
}
