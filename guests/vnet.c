/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vnet: two kestrel virtio-net ports of this VM, A (slot 0, MAC from the configuration) and B
 * (slot 1, MAC derived by kestrel), both on one switch. Driven as a driver would (virtio 1.2
 * §3.1, §5.1): frames from one to the other arrive whole with their header; broadcast too; a
 * spoofed source, a frame too long, frames beyond what a receiver that does not read can keep,
 * are lost and nothing else; broken rings on one port put it in DEVICE_NEEDS_RESET while the
 * other goes on; a notify storm changes nothing; its second vCPU rewrites A's transmit ring and
 * B's receive ring without pause while the first sends and receives, and kestrel goes on.
 */
#include <stddef.h>

#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "mmio.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"
#include "virtio_mmio.h"

#define S_RUNNING (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK)

#define F_MAC	 (1u << 5)
#define F_STATUS (1u << 16)

#define RXQ	0
#define TXQ	1
#define HDR	12
#define BUFSZ	1536
#define PENDING 32 /* what kestrel keeps for a port that does not read */

struct port {
	uintptr_t base;
	unsigned spi;
	uint8_t mac[6];
	struct virtq ring[2];
	uint8_t rx[VIRTQ_N][BUFSZ] __attribute__((aligned(16)));
	uint8_t tx[2048] __attribute__((aligned(16)));
};

static struct port ports[2];
static struct port *const A = &ports[0], *const B = &ports[1];

static uint32_t r32(const struct port *p, unsigned off)
{
	return mmio_read32(p->base + off);
}

static void w32(const struct port *p, unsigned off, uint32_t v)
{
	mmio_write32(p->base + off, v);
}

static void zero(void *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		((volatile uint8_t *)p)[i] = 0;
}

static bool same(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static void post_rx(struct port *p, unsigned i)
{
	struct desc *d = &p->ring[RXQ].desc[i];

	d->addr = (uintptr_t)p->rx[i];
	d->len = BUFSZ;
	d->flags = DESC_WRITE;
	d->next = 0;
	virtq_offer(&p->ring[RXQ], i);
}

/* §3.1.1 with the net features; every receive buffer posted. */
static bool start(struct port *p)
{
	if (!virtio_negotiate(p->base, F_VERSION_1 | F_MAC | F_STATUS))
		return false;
	virtq_setup(p->base, RXQ, &p->ring[RXQ], VIRTQ_N);
	virtq_setup(p->base, TXQ, &p->ring[TXQ], VIRTQ_N);
	for (unsigned i = 0; i < VIRTQ_N; i++)
		post_rx(p, i);
	w32(p, R_STATUS, S_RUNNING);
	w32(p, R_NOTIFY, RXQ);
	return r32(p, R_STATUS) == S_RUNNING;
}

static unsigned frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint8_t tag, unsigned len)
{
	for (unsigned i = 0; i < 6; i++) {
		f[i] = dst[i];
		f[6 + i] = src[i];
	}
	f[12] = 0x88; /* a local experimental EtherType */
	f[13] = 0xb5;
	for (unsigned i = 14; i < len; i++)
		f[i] = (uint8_t)(tag ^ i);
	return len;
}

/* One chain: the header and a frame of len bytes in one buffer. True if it came back used. */
static bool send(struct port *p, const uint8_t *dst, const uint8_t *src, uint8_t tag, unsigned len)
{
	struct virtq *r = &p->ring[TXQ];
	uint16_t before = virtq_used_idx(r);

	zero(p->tx, HDR);
	frame(p->tx + HDR, dst, src, tag, len);
	r->desc[0] = (struct desc){(uintptr_t)p->tx, HDR + len, 0, 0};
	virtq_offer(&p->ring[TXQ], 0);
	w32(p, R_NOTIFY, TXQ);
	return virtq_used_idx(r) == (uint16_t)(before + 1);
}

static bool spi_pending(const struct port *p)
{
	unsigned intid = 32 + p->spi;
	bool on = mmio_read32(GICD_BASE + GICD_ISPENDR + 4 * (intid / 32)) & (1u << (intid % 32));

	mmio_write32(GICD_BASE + GICD_ICPENDR + 4 * (intid / 32), 1u << (intid % 32));
	return on;
}

/* What an interrupt handler does: InterruptStatus (kestrel hands over the frames waiting),
   acknowledge, take the used buffers, post them again. Counts the frames, checks each one's
   header (num_buffers 1, the rest 0), source and tag pattern; *tag: the last frame's. */
static unsigned receive(struct port *p, const uint8_t *src, uint8_t *tag, unsigned *bad)
{
	static const uint8_t hdr[HDR] = {[10] = 1};
	struct virtq *r = &p->ring[RXQ];
	unsigned n = 0;

	w32(p, R_INT_ACK, r32(p, R_INT_STATUS));
	while (r->last_used != virtq_used_idx(r)) {
		unsigned id = r->used.ring[r->last_used % VIRTQ_N].id % VIRTQ_N;
		uint32_t len = r->used.ring[r->last_used % VIRTQ_N].len;
		const uint8_t *f = p->rx[id] + HDR;
		uint8_t t = f[14] ^ 14;
		bool ok = len > HDR + 14 && same(p->rx[id], hdr, HDR) && same(f + 6, src, 6);
		for (unsigned i = 15; ok && i < len - HDR; i++)
			ok = f[i] == (uint8_t)(t ^ i);
		*bad += !ok;
		*tag = t;
		n++;
		r->last_used++;
		post_rx(p, id);
	}
	w32(p, R_NOTIFY, RXQ);
	return n;
}

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void check_devices(void)
{
	static const uint8_t given[6] = {0x02, 0, 0, 0, 0, 0x01};

	for (unsigned i = 0; i < 2; i++) {
		struct port *p = &ports[i];
		p->base = SLOT(i);
		p->spi = VIRTIO_SPI + i;
		check_eq("virtio-net device ID", r32(p, R_DEVICE_ID), 1);
		w32(p, R_DEV_FEAT_S, 0);
		check_eq("features 0..31: MAC, STATUS, EVENT_IDX", r32(p, R_DEV_FEAT),
			 F_MAC | F_STATUS | F_EVENT_IDX);
		for (unsigned b = 0; b < 6; b++)
			p->mac[b] = mmio_read8(p->base + R_CONFIG + b);
		check_eq("status: link up", mmio_read16(p->base + R_CONFIG + 6), 1);
		check(start(p), "port %u starts", i);
	}
	check(same(A->mac, given, 6), "port A has the configuration's MAC");
	check(B->mac[0] == 0x02 && B->mac[5] == 1 && !same(A->mac, B->mac, 6),
	      "port B has a derived, locally administered MAC ending in its slot");
}

static void check_frames(void)
{
	unsigned bad = 0;
	uint8_t tag = 0;

	check(send(A, B->mac, A->mac, 0x11, 100), "A sends to B");
	check(spi_pending(B), "B's interrupt is pending");
	check(receive(B, A->mac, &tag, &bad) == 1 && tag == 0x11 && !bad,
	      "B gets A's frame whole, with its header");
	check(send(B, bcast, B->mac, 0x22, 60) && receive(A, B->mac, &tag, &bad) == 1 &&
		  tag == 0x22 && !bad,
	      "A gets B's broadcast");
	check(send(A, B->mac, A->mac, 0x33, 1514) && receive(B, A->mac, &tag, &bad) == 1 &&
		  tag == 0x33 && !bad,
	      "a frame of 1514 bytes");
	check(receive(A, B->mac, &tag, &bad) == 0, "nothing came back to the sender");
	check(send(A, B->mac, B->mac, 0x44, 60) && receive(B, B->mac, &tag, &bad) == 0,
	      "a frame with B's MAC as its source, sent by A, is dropped");
	check(send(A, bcast, A->mac, 0x55, 1519) && receive(B, A->mac, &tag, &bad) == 0,
	      "a frame too long is dropped, its chain given back");
	check(r32(A, R_STATUS) == S_RUNNING, "A still runs");
}

/* B reads nothing while A sends 60 frames: its VIRTQ_N posted buffers take the first ones as A
   sends, kestrel keeps 32 more, the rest are lost; B gets them all as it posts buffers. */
static void check_slow_receiver(void)
{
	unsigned got = 0, bad = 0, sent = 0;
	uint8_t tag = 0;

	for (unsigned i = 0; i < 60; i++)
		sent += send(A, B->mac, A->mac, (uint8_t)i, 200);
	check_eq("all 60 frames left A", sent, 60);
	check_eq("B's buffers filled before it read anything",
		 virtq_used_idx(&B->ring[RXQ]) - B->ring[RXQ].last_used, VIRTQ_N);
	for (unsigned round = 0; round < 6; round++)
		got += receive(B, A->mac, &tag, &bad);
	check(got == VIRTQ_N + PENDING && !bad,
	      "B got its %u buffers' and the %u frames kestrel kept (%u), whole", VIRTQ_N, PENDING,
	      got);
}

static void broken_writable_tx(void)
{
	A->ring[TXQ].desc[0] = (struct desc){(uintptr_t)A->tx, 100, DESC_WRITE, 0};
}

static void broken_giant(void)
{
	A->ring[TXQ].desc[0] = (struct desc){(uintptr_t)A->tx, 0xffffffffu, 0, 0};
}

static void broken_loop(void)
{
	A->ring[TXQ].desc[0] = (struct desc){(uintptr_t)A->tx, 8, DESC_NEXT, 1};
	A->ring[TXQ].desc[1] = (struct desc){(uintptr_t)A->tx, 8, DESC_NEXT, 0};
}

static void broken_outside(void)
{
	A->ring[TXQ].desc[0] = (struct desc){0x100000000000ull, 100, 0, 0};
}

/* Each broken transmit ring stops A alone: B still sends, and A comes back after a reset. */
static void check_broken_rings(void)
{
	static const struct {
		const char *what;
		void (*make)(void);
	} bad[] = {
	    {"a writable transmit buffer", broken_writable_tx},
	    {"a giant length", broken_giant},
	    {"a looping chain", broken_loop},
	    {"a buffer outside RAM", broken_outside},
	};
	unsigned errors = 0;
	uint8_t tag;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t before = virtq_used_idx(&A->ring[TXQ]);
		bad[i].make();
		virtq_offer(&A->ring[TXQ], 0);
		w32(A, R_NOTIFY, TXQ);
		check((r32(A, R_STATUS) & S_NEEDS_RESET) && virtq_used_idx(&A->ring[TXQ]) == before,
		      "%s: A needs a reset, nothing used", bad[i].what);
		check(send(B, bcast, B->mac, (uint8_t)i, 64), "%s: B still sends", bad[i].what);
		check(start(A), "%s: A starts again", bad[i].what);
		check(send(A, B->mac, A->mac, 0x60, 64) && receive(B, A->mac, &tag, &errors) == 1 &&
			  tag == 0x60,
		      "%s: A sends to B again", bad[i].what);
	}
	/* a receive buffer outside RAM: B breaks, A's frames still leave */
	B->ring[RXQ]
	    .desc[B->ring[RXQ].avail.ring[B->ring[RXQ].last_used % VIRTQ_N] % VIRTQ_N]
	    .addr = 0x100000000000ull;
	check(send(A, B->mac, A->mac, 0x61, 64), "A sends to a B with a broken receive ring");
	r32(B, R_INT_STATUS);
	check(r32(B, R_STATUS) & S_NEEDS_RESET, "B needs a reset");
	check(send(A, B->mac, A->mac, 0x62, 64), "A still sends");
	check(start(B), "B starts again");
	check(send(A, B->mac, A->mac, 0x63, 64) && receive(B, A->mac, &tag, &errors) == 1 &&
		  tag == 0x63 && !errors,
	      "B gets A's frames again");
}

static void check_notify_storm(void)
{
	uint16_t tx = virtq_used_idx(&A->ring[TXQ]), rx = virtq_used_idx(&B->ring[RXQ]);

	for (unsigned i = 0; i < 10000; i++)
		w32(A, R_NOTIFY, i % 3);
	check(virtq_used_idx(&A->ring[TXQ]) == tx && virtq_used_idx(&B->ring[RXQ]) == rx &&
		  r32(A, R_STATUS) == S_RUNNING,
	      "10000 notifies with nothing posted change nothing");
}

static volatile int racing, racer_done;

/* vCPU 1: A's transmit descriptors and avail entries, B's receive descriptors, anything. */
void secondary_main(uint64_t context)
{
	static const uint64_t addrs[] = {0x1000, ~0ull, 0};
	static const uint32_t lens[] = {0, 0xffffffffu, 64, 3000};
	uint32_t x = 4242;

	(void)context;
	while (racing) {
		x = x * 1103515245u + 12345u;
		struct virtq *r = (x >> 7) & 1 ? &A->ring[TXQ] : &B->ring[RXQ];
		struct desc *d = &r->desc[(x >> 8) % 3];
		unsigned k = (x >> 12) % 4;
		d->addr = k == 3 ? (uintptr_t)A->tx : addrs[k];
		d->len = lens[(x >> 16) % 4];
		d->flags = (uint16_t)((x >> 20) & 3);
		d->next = (uint16_t)((x >> 22) % 20);
		if ((x >> 26) % 4 == 0)
			A->ring[TXQ].avail.ring[(x >> 28) % VIRTQ_N] = (uint16_t)((x >> 29) % 20);
	}
	dsb_sy();
	racer_done = 1;
	dsb_sy();
	psci_cpu_off();
}

/* Every round ends used, dropped or in NEEDS_RESET (then the port starts again); at the end
   both ports work. */
static void check_race(void)
{
	unsigned used = 0, broken = 0, got = 0, bad = 0;
	uint8_t tag = 0;

	if (!check(boot_info.num_cpus >= 2, "a second vCPU for the race"))
		return;
	racing = 1;
	dsb_sy();
	check(psci_cpu_on(boot_info.cpu_mpidr[1], entry_ipa(secondary_entry), 1) == PSCI_SUCCESS,
	      "race: vCPU 1 started");
	for (unsigned round = 0; round < 3000; round++) {
		uint16_t before = virtq_used_idx(&A->ring[TXQ]);
		A->ring[TXQ].desc[0] = (struct desc){(uintptr_t)A->tx, HDR + 64, 0, 0};
		virtq_offer(&A->ring[TXQ], 0);
		w32(A, R_NOTIFY, TXQ);
		if (r32(A, R_STATUS) & S_NEEDS_RESET) {
			broken++;
			start(A);
		} else if (virtq_used_idx(&A->ring[TXQ]) != before) {
			used++;
		}
		/* what arrives may have gone where vCPU 1 pointed a descriptor: counted, not
		 * checked */
		got += receive(B, A->mac, &tag, &bad);
		if (r32(B, R_STATUS) & S_NEEDS_RESET) {
			broken++;
			start(B);
		}
	}
	racing = 0;
	dsb_sy();
	uint64_t t0 = counter_now(), freq = read_sysreg(cntfrq_el0);
	while (!racer_done && counter_now() - t0 < 5 * freq)
		;
	check(racer_done, "race: vCPU 1 stopped");
	printf("vnet: race: 3000 rounds against rings rewritten by vCPU 1: %u sent, %u received, "
	       "%u broken\n",
	       used, got, broken);
	check(used + broken > 0, "race: rounds ended used or in NEEDS_RESET");
	check(start(A) && start(B), "race: both ports start again");
	bad = 0;
	check(send(A, B->mac, A->mac, 0x70, 64) && receive(B, A->mac, &tag, &bad) == 1 &&
		  tag == 0x70 && !bad,
	      "race: A's frames reach B again");
}

int main(const void *dtb)
{
	(void)dtb;
	check_devices();
	check_frames();
	check_slow_receiver();
	check_broken_rings();
	check_notify_storm();
	check_race();
	test_finish();
}
