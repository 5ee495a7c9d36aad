/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net ports on virtual switches, each port with its own fake guest RAM and a driver
 * that does what Linux's does: frames go through the rings, the switch and the receiver's
 * rings; what must not get anywhere (a spoofed source, another switch, a port not started, a
 * full queue, a broken ring) does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/vswitch.h>

#include "virtio_driver.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x20000ull
#define QSIZE	 8
/* Where the driver keeps things in its RAM. */
#define RX_DESC	 0x0000ull
#define RX_AVAIL 0x1000ull
#define RX_USED	 0x2000ull
#define TX_DESC	 0x3000ull
#define TX_AVAIL 0x4000ull
#define TX_USED	 0x5000ull
#define RX_BUF	 0x8000ull /* QSIZE buffers of 2 KiB */
#define TX_BUF	 0xc000ull
#define PORTS	 4

struct guest {
	struct virtio_mmio window;
	struct virtio_net net;
	struct virtio_hooks hooks;
	_Alignas(16) uint8_t ram[RAM_SIZE]; /* the rings are loaded in place, aligned */
	unsigned irqs, irqs_seen; /* interrupts raised; as many when receive() last looked */
	uint16_t rx_avail, tx_avail, rx_seen;
};

static struct guest g[PORTS];
static struct vswitch lan0, lan1;

static bool fake_in_ram(void *ctx, ipa_t ipa, uint64_t size)
{
	uint64_t a = ipa_addr(ipa);

	(void)ctx;
	return a >= RAM_BASE && size <= RAM_SIZE && a - RAM_BASE <= RAM_SIZE - size;
}

static void *fake_map(void *ctx, ipa_t ipa, uint64_t size)
{
	struct guest *vm = ctx;

	return size && fake_in_ram(ctx, ipa, size) ? vm->ram + (ipa_addr(ipa) - RAM_BASE) : NULL;
}

static int fake_read(void *ctx, ipa_t src, void *dst, uint64_t size)
{
	struct guest *vm = ctx;

	if (!fake_in_ram(ctx, src, size))
		return -E_RANGE;
	memcpy(dst, vm->ram + (ipa_addr(src) - RAM_BASE), size);
	return E_OK;
}

static int fake_write(void *ctx, ipa_t dst, const void *src, uint64_t size)
{
	struct guest *vm = ctx;

	if (!fake_in_ram(ctx, dst, size))
		return -E_RANGE;
	memcpy(vm->ram + (ipa_addr(dst) - RAM_BASE), src, size);
	return E_OK;
}

static void fake_irq(void *ctx, unsigned slot)
{
	struct guest *vm = ctx;

	assert_int_equal(slot, 0);
	vm->irqs++;
}

static void put16(struct guest *vm, uint64_t off, uint16_t v)
{
	vm->ram[off] = (uint8_t)v;
	vm->ram[off + 1] = (uint8_t)(v >> 8);
}

static uint16_t get16(struct guest *vm, uint64_t off)
{
	return (uint16_t)(vm->ram[off] | vm->ram[off + 1] << 8);
}

static uint32_t get32(struct guest *vm, uint64_t off)
{
	return get16(vm, off) | (uint32_t)get16(vm, off + 2) << 16;
}

static void put_desc(struct guest *vm, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	virtq_desc_bytes(vm->ram + table + 16 * i, addr, len, flags, next);
}

static uint32_t mmio_read(struct guest *vm, uint64_t off)
{
	uint64_t v = 0;

	assert_true(vm->window.dev.ops->read(&vm->window.dev, NULL, off, 4, &v));
	return (uint32_t)v;
}

static void mmio_write(struct guest *vm, uint64_t off, uint32_t v)
{
	assert_true(vm->window.dev.ops->write(&vm->window.dev, NULL, off, 4, v));
}

static void reg_write(void *ctx, uint64_t off, uint32_t v)
{
	mmio_write(ctx, off, v);
}

static void queue(struct guest *vm, unsigned q, uint64_t desc, uint64_t avail, uint64_t used)
{
	virtio_queue(reg_write, vm, q, QSIZE, RAM_BASE + desc, RAM_BASE + avail, RAM_BASE + used);
}

/* The driver posts receive buffer i (2 KiB, or len) on the receive ring. */
static void post_rx(struct guest *vm, unsigned i, uint32_t len)
{
	put_desc(vm, RX_DESC, i, RAM_BASE + RX_BUF + 2048ull * i, len, VIRTQ_DESC_F_WRITE, 0);
	put16(vm, RX_AVAIL + 4 + 2 * (vm->rx_avail % QSIZE), (uint16_t)i);
	put16(vm, RX_AVAIL + 2, ++vm->rx_avail);
}

/* Linux's start: features (VERSION_1, MAC, STATUS, and EVENT_IDX on every other port; the
   driver here notifies every time, which EVENT_IDX allows), both queues, nbufs receive buffers,
   DRIVER_OK, a notify of the receive queue. */
static void start_posting(struct guest *vm, unsigned nbufs)
{
	uint32_t event_idx = (vm - g) % 2 ? BIT(VIRTIO_F_EVENT_IDX) : 0;

	mmio_write(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mmio_write(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(mmio_read(vm, VIRTIO_MMIO_DEVICE_FEATURES), BIT(VIRTIO_NET_F_MAC) |
									 BIT(VIRTIO_NET_F_STATUS) |
									 BIT(VIRTIO_F_EVENT_IDX));
	mmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES,
		   BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | event_idx);
	mmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	mmio_write(vm, VIRTIO_MMIO_STATUS, 0xb);
	assert_int_equal(mmio_read(vm, VIRTIO_MMIO_STATUS), 0xb);
	queue(vm, 0, RX_DESC, RX_AVAIL, RX_USED);
	queue(vm, 1, TX_DESC, TX_AVAIL, TX_USED);
	for (unsigned i = 0; i < nbufs; i++)
		post_rx(vm, i, 2048);
	mmio_write(vm, VIRTIO_MMIO_STATUS, 0xf);
	mmio_write(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static void start(struct guest *vm)
{
	start_posting(vm, QSIZE);
}

/* A frame from src (port index) to dst MAC, tagged with its first payload byte. */
static unsigned make_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint8_t tag,
			   unsigned len)
{
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	f[12] = 0x08;
	f[13] = 0x00;
	for (unsigned i = 14; i < len; i++)
		f[i] = (uint8_t)(tag + i);
	f[14] = tag;
	return len;
}

/* The driver sends one chain: the 12-byte header in one buffer, the frame in another. */
static void post_frame(struct guest *vm, const uint8_t *frame, unsigned len)
{
	unsigned i = (2 * vm->tx_avail) % QSIZE;
	uint64_t buf = TX_BUF + 0x800ull * (i / 2); /* a buffer each of the QSIZE / 2 chains */

	memset(vm->ram + buf, 0, VNET_HDR_LEN);
	memcpy(vm->ram + buf + 64, frame, len);
	put_desc(vm, TX_DESC, i, RAM_BASE + buf, VNET_HDR_LEN, VIRTQ_DESC_F_NEXT,
		 (uint16_t)(i + 1));
	put_desc(vm, TX_DESC, i + 1, RAM_BASE + buf + 64, len, 0, 0);
	put16(vm, TX_AVAIL + 4 + 2 * (vm->tx_avail % QSIZE), (uint16_t)i);
	put16(vm, TX_AVAIL + 2, ++vm->tx_avail);
}

static void send_frame(struct guest *vm, const uint8_t *frame, unsigned len)
{
	post_frame(vm, frame, len);
	mmio_write(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
}

static void send(unsigned from, const uint8_t *dst, uint8_t tag)
{
	uint8_t f[100];
	unsigned len = make_frame(f, dst, g[from].net.mac, tag, sizeof(f));

	send_frame(&g[from], f, len);
}

/* What the guest's interrupt handler does: read InterruptStatus (which takes waiting frames),
   acknowledge; then the tags of the frames new on its used ring, each announced by an
   interrupt since it last looked (a frame may be on the ring before any exit of the receiver:
   the sender's CPU puts it there). Like Linux, it asks for the next interrupt once it is done:
   with EVENT_IDX, used_event is the used entry it will look at next. */
static unsigned receive(struct guest *vm, uint8_t *tags, unsigned max)
{
	uint32_t st = mmio_read(vm, VIRTIO_MMIO_INTERRUPT_STATUS);
	unsigned n = 0;

	mmio_write(vm, VIRTIO_MMIO_INTERRUPT_ACK, st);
	while (vm->rx_seen != get16(vm, RX_USED + 2)) {
		uint64_t elem = RX_USED + 4 + 8ull * (vm->rx_seen % QSIZE);
		uint16_t id = get16(vm, elem);
		uint32_t len = get32(vm, elem + 4);
		const uint8_t *buf = vm->ram + RX_BUF + 2048ull * id;
		assert_true(vm->irqs > vm->irqs_seen);
		assert_true(len == 0 || len >= VNET_HDR_LEN + VNET_FRAME_MIN);
		if (len) {
			/* no offloads: only num_buffers, 1 */
			static const uint8_t hdr[VNET_HDR_LEN] = {[10] = 1};
			assert_memory_equal(buf, hdr, VNET_HDR_LEN);
			assert_true(n < max);
			tags[n++] = buf[VNET_HDR_LEN + 14];
		}
		vm->rx_seen++;
		post_rx(vm, id, 2048);
	}
	vm->irqs_seen = vm->irqs;
	put16(vm, RX_AVAIL + 4 + 2 * QSIZE, vm->rx_seen); /* used_event */
	return n;
}

static const uint8_t broadcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Ports 0, 1, 2 on lan0, port 3 on lan1; every one started but those in not_started. */
static void setup_ports(unsigned not_started)
{
	memset(g, 0, sizeof(g));
	vswitch_init(&lan0, "lan0");
	vswitch_init(&lan1, "lan1");
	for (unsigned i = 0; i < PORTS; i++) {
		uint8_t mac[ETH_ALEN] = {0x02, 0, 0, 0, 0, (uint8_t)(i + 1)};
		g[i].hooks = (struct virtio_hooks){&g[i],    fake_read, fake_write, fake_in_ram,
						   fake_irq, NULL,	fake_map,   NULL};
		virtio_mmio_init(&g[i].window, VIRTIO_MMIO_BASE);
		virtio_net_init(&g[i].net, &g[i].hooks, 0, mac);
		g[i].window.slot[0] = &g[i].net.vdev;
		assert_int_equal(vswitch_attach(i < 3 ? &lan0 : &lan1, &g[i].net), E_OK);
		if (!(not_started & BIT(i)))
			start(&g[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	setup_ports(0);
	return 0;
}

static void the_device_reads_as_virtio_net_with_its_mac(void **state)
{
	(void)state;
	assert_int_equal(mmio_read(&g[1], VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	for (unsigned i = 0; i < ETH_ALEN; i++) {
		uint64_t v;
		assert_true(g[1].window.dev.ops->read(&g[1].window.dev, NULL,
						      VIRTIO_MMIO_CONFIG + i, 1, &v));
		assert_int_equal(v, g[1].net.mac[i]);
	}
	assert_int_equal(mmio_read(&g[1], VIRTIO_MMIO_CONFIG + 4) >> 16, VIRTIO_NET_S_LINK_UP);
	/* its queues keep the default size: the disk's 512 entries are refused here */
	mmio_write(&g[1], VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(mmio_read(&g[1], VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_NUM_DEFAULT);
	virtio_negotiate(reg_write, &g[1], BIT(VIRTIO_F_VERSION_1));
	virtio_queue(reg_write, &g[1], 0, VIRTQ_NUM_MAX, RAM_BASE + RX_DESC, RAM_BASE + RX_AVAIL,
		     RAM_BASE + RX_USED);
	assert_true(mmio_read(&g[1], VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(mmio_read(&g[1], VIRTIO_MMIO_QUEUE_READY), 0);
}

static void broadcast_reaches_every_other_port_of_its_switch_only(void **state)
{
	uint8_t tags[QSIZE];

	(void)state;
	send(0, broadcast, 0x11);
	assert_int_equal(g[1].irqs, 1);
	assert_int_equal(g[2].irqs, 1);
	assert_int_equal(receive(&g[1], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x11);
	assert_int_equal(receive(&g[2], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x11);
	/* not back to the sender, nothing on the other switch */
	assert_int_equal(receive(&g[0], tags, QSIZE), 0);
	assert_int_equal(receive(&g[3], tags, QSIZE), 0);
	assert_int_equal(g[3].irqs, 0);
	assert_int_equal(g[3].net.stats.rx_dropped, 0);
	assert_int_equal(g[0].net.stats.tx_frames, 1);
	assert_int_equal(g[1].net.stats.rx_frames, 1);
}

static void unknown_unicast_floods_known_goes_to_its_port(void **state)
{
	uint8_t tags[QSIZE];

	(void)state;
	send(0, g[1].net.mac, 0x21); /* port 1 has not sent yet: flooded */
	assert_int_equal(receive(&g[1], tags, QSIZE), 1);
	assert_int_equal(receive(&g[2], tags, QSIZE), 1);
	send(1, g[0].net.mac, 0x22); /* port 0 was learnt */
	assert_int_equal(receive(&g[0], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x22);
	assert_int_equal(receive(&g[2], tags, QSIZE), 0);
	send(0, g[1].net.mac, 0x23); /* and now port 1 */
	assert_int_equal(receive(&g[1], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x23);
	assert_int_equal(receive(&g[2], tags, QSIZE), 0);
	/* a multicast group address is flooded like broadcast */
	static const uint8_t mcast[ETH_ALEN] = {0x33, 0x33, 0, 0, 0, 1};
	send(2, mcast, 0x24);
	assert_int_equal(receive(&g[0], tags, QSIZE), 1);
	assert_int_equal(receive(&g[1], tags, QSIZE), 1);
}

/* Port 2 sends as port 0: dropped, and frames for port 0 still go to port 0 alone. */
static void a_spoofed_source_is_dropped_and_learns_nothing(void **state)
{
	uint8_t f[64], tags[QSIZE];

	(void)state;
	send(0, broadcast, 0x31);
	receive(&g[1], tags, QSIZE);
	receive(&g[2], tags, QSIZE);
	make_frame(f, broadcast, g[0].net.mac, 0x32, sizeof(f));
	send_frame(&g[2], f, sizeof(f));
	make_frame(f, g[1].net.mac, g[0].net.mac, 0x33, sizeof(f));
	send_frame(&g[2], f, sizeof(f));
	assert_int_equal(g[2].net.stats.tx_spoofed, 2);
	assert_int_equal(receive(&g[0], tags, QSIZE), 0);
	assert_int_equal(receive(&g[1], tags, QSIZE), 0);
	send(1, g[0].net.mac, 0x34);
	assert_int_equal(receive(&g[0], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x34);
	assert_int_equal(receive(&g[2], tags, QSIZE), 0);
}

/* Port 2 bridges to hosts outside: it may send their frames, which the switch learns, but
   never one with another port's MAC nor a group source; a plain port still may not. */
static void a_bridge_port_forwards_hosts_behind_it_but_poses_as_no_port(void **state)
{
	static const uint8_t outside[ETH_ALEN] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
	static const uint8_t group_src[ETH_ALEN] = {0x03, 0, 0, 0, 0, 9};
	uint8_t f[64], tags[QSIZE];

	(void)state;
	g[2].net.bridge = true;
	make_frame(f, g[0].net.mac, outside, 0x41, sizeof(f));
	send_frame(&g[2], f, sizeof(f));
	assert_int_equal(receive(&g[0], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x41);
	assert_int_equal(receive(&g[1], tags, QSIZE), 1); /* port 0 unknown yet: flooded */
	assert_int_equal(g[2].net.stats.tx_spoofed, 0);
	send(0, outside, 0x42); /* learnt behind port 2: to it alone */
	assert_int_equal(receive(&g[2], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x42);
	assert_int_equal(receive(&g[1], tags, QSIZE), 0);
	/* another port's MAC, or a group address, as the source: dropped */
	make_frame(f, broadcast, g[1].net.mac, 0x43, sizeof(f));
	send_frame(&g[2], f, sizeof(f));
	make_frame(f, broadcast, group_src, 0x44, sizeof(f));
	send_frame(&g[2], f, sizeof(f));
	assert_int_equal(g[2].net.stats.tx_spoofed, 2);
	assert_int_equal(receive(&g[0], tags, QSIZE), 0);
	send(0, g[1].net.mac, 0x45); /* port 1's frames still reach port 1 */
	assert_int_equal(receive(&g[1], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x45);
	/* a plain port sending the outside host's MAC is still spoofing */
	make_frame(f, broadcast, outside, 0x46, sizeof(f));
	send_frame(&g[1], f, sizeof(f));
	assert_int_equal(g[1].net.stats.tx_spoofed, 1);
}

/* A bridge that sends from ever new MACs fills VSWITCH_BRIDGE_MACS entries, no more: a port
   that sends afterwards is still learnt and gets its frames alone. */
static void a_bridge_cannot_crowd_out_the_ports(void **state)
{
	uint8_t f[64], tags[QSIZE];

	(void)state;
	g[2].net.bridge = true;
	send(2, broadcast, 0x50); /* port 2 learnt: frames to it go nowhere else */
	receive(&g[0], tags, QSIZE);
	receive(&g[1], tags, QSIZE);
	for (unsigned i = 0; i < 2 * VSWITCH_BRIDGE_MACS; i++) {
		const uint8_t src[ETH_ALEN] = {0x06, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
		make_frame(f, g[2].net.mac, src, 0x51, sizeof(f)); /* to itself: goes nowhere */
		send_frame(&g[2], f, sizeof(f));
		receive(&g[2], tags, QSIZE);
	}
	assert_int_equal(lan0.nbridged, VSWITCH_BRIDGE_MACS);
	send(1, broadcast, 0x52);
	receive(&g[0], tags, QSIZE);
	receive(&g[2], tags, QSIZE);
	send(0, g[1].net.mac, 0x53);
	assert_int_equal(receive(&g[1], tags, QSIZE), 1);
	assert_int_equal(receive(&g[2], tags, QSIZE), 0);
}

/* A port that never reads: frames fill its buffers, then wait up to VNET_PENDING, then are
   dropped; the sender and the other receivers go on. */
static void a_receiver_that_never_reads_loses_frames_not_the_switch(void **state)
{
	uint8_t tags[QSIZE];
	unsigned got = 0, sent = QSIZE + VNET_PENDING + 10;

	(void)state;
	for (unsigned i = 0; i < sent; i++) {
		send(0, broadcast, (uint8_t)i);
		got += receive(&g[2], tags, QSIZE);
	}
	assert_int_equal(got, sent);
	assert_int_equal(g[0].net.stats.tx_frames, sent);
	assert_int_equal(get16(&g[1], RX_USED + 2),
			 QSIZE); /* its buffers, straight from the sender */
	assert_int_equal(g[1].net.pend_count, VNET_PENDING);
	assert_int_equal(g[1].net.stats.rx_dropped, 10);
	/* it reads at last: its buffers hold the oldest frames; posted again, they take the next
	   ones waiting when it reads InterruptStatus, and the rest still wait */
	assert_int_equal(receive(&g[1], tags, QSIZE), QSIZE);
	assert_int_equal(tags[0], 0);
	assert_int_equal(tags[QSIZE - 1], QSIZE - 1);
	assert_int_equal(g[1].net.pend_count, VNET_PENDING);
	assert_int_equal(receive(&g[1], tags, QSIZE), QSIZE);
	assert_int_equal(tags[0], QSIZE);
	assert_int_equal(g[1].net.pend_count, VNET_PENDING - QSIZE);
}

/* A frame goes into a posted buffer on the sender's CPU, with no exit of the receiver; a
   chain longer than VNET_DIRECT_DESCS, or a receiver whose device lock is held (its own exit
   on another CPU), leaves the frame waiting for the receiver's exit, in order. */
static void frames_go_straight_into_posted_buffers_when_that_is_cheap(void **state)
{
	uint8_t tags[QSIZE];

	(void)state;
	setup_ports(BIT(1));
	start_posting(&g[1], 0);
	/* one buffer as VNET_DIRECT_DESCS + 1 descriptors of 1 KiB: given back untouched, the
	   frame waits, and so does the next one */
	for (unsigned i = 0; i <= VNET_DIRECT_DESCS; i++)
		put_desc(&g[1], RX_DESC, i, RAM_BASE + RX_BUF + 1024ull * i, 1024,
			 VIRTQ_DESC_F_WRITE | (i < VNET_DIRECT_DESCS ? VIRTQ_DESC_F_NEXT : 0),
			 (uint16_t)(i + 1));
	put16(&g[1], RX_AVAIL + 4, 0);
	put16(&g[1], RX_AVAIL + 2, ++g[1].rx_avail);
	send(0, g[1].net.mac, 0x91);
	send(0, g[1].net.mac, 0x92);
	assert_int_equal(get16(&g[1], RX_USED + 2), 0);
	assert_int_equal(g[1].net.pend_count, 2);
	/* the guest refills and notifies: the frames reach it in order */
	post_rx(&g[1], VNET_DIRECT_DESCS + 1, 2048);
	mmio_write(&g[1], VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(get16(&g[1], RX_USED + 2), 2);
	assert_int_equal(g[1].net.pend_count, 0);
	assert_int_equal(g[1].ram[RX_BUF + VNET_HDR_LEN + 14], 0x91);
	assert_int_equal(receive(&g[1], tags, QSIZE), 2);
	assert_int_equal(tags[1], 0x92);
	/* a buffer of one descriptor: the frame is there right after the sender's notify */
	send(0, g[1].net.mac, 0x93);
	assert_int_equal(get16(&g[1], RX_USED + 2), 3);
	assert_int_equal(g[1].net.pend_count, 0);
	assert_int_equal(receive(&g[1], tags, QSIZE), 1);
	assert_int_equal(tags[0], 0x93);
	/* a receiver holding its device lock is not waited for: the frame waits, and the next
	   sender that finds the lock free puts it in the buffers first, then its own */
	g[1].net.vdev.lock.locked = 1;
	send(0, g[1].net.mac, 0x94);
	assert_int_equal(g[1].net.pend_count, 1);
	g[1].net.vdev.lock.locked = 0;
	send(0, g[1].net.mac, 0x95);
	assert_int_equal(g[1].net.pend_count, 0);
	assert_int_equal(receive(&g[1], tags, QSIZE), 2);
	assert_int_equal(tags[0], 0x94);
	assert_int_equal(tags[1], 0x95);
	/* three frames of one notify: one interrupt decision for all (port 2 asks for every
	   one: no EVENT_IDX, no NO_INTERRUPT) */
	uint8_t f[100];
	receive(&g[2], tags, QSIZE); /* what was flooded to it so far (port 1 never sent) */
	unsigned before = g[2].irqs;
	for (uint8_t t = 0xa1; t <= 0xa3; t++) {
		make_frame(f, g[2].net.mac, g[0].net.mac, t, sizeof(f));
		post_frame(&g[0], f, sizeof(f));
	}
	mmio_write(&g[0], VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(g[2].irqs, before + 1);
	assert_int_equal(receive(&g[2], tags, QSIZE), 3);
	assert_int_equal(tags[2], 0xa3);
}

static void a_port_not_started_gets_nothing(void **state)
{
	uint8_t tags[QSIZE];

	(void)state;
	setup_ports(BIT(1));
	send(0, broadcast, 0x41);
	assert_int_equal(g[1].irqs, 0);
	assert_int_equal(g[1].net.pend_count, 0);
	assert_int_equal(g[1].net.stats.rx_dropped, 1);
	assert_int_equal(receive(&g[2], tags, QSIZE), 1);
	/* a reset stops it again and forgets what waited (its buffers full, a frame waits) */
	for (unsigned i = 0; i <= QSIZE; i++)
		send(0, broadcast, 0x42);
	assert_int_equal(g[2].net.pend_count, 1);
	mmio_write(&g[2], VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(g[2].net.pend_count, 0);
	send(0, broadcast, 0x43);
	assert_int_equal(g[2].net.pend_count, 0);
}

static void bad_frames_are_dropped_and_the_chain_given_back(void **state)
{
	uint8_t f[VNET_FRAME_MAX + 1], tags[QSIZE];

	(void)state;
	make_frame(f, broadcast, g[0].net.mac, 0x51, sizeof(f));
	send_frame(&g[0], f, VNET_FRAME_MAX + 1); /* too long */
	send_frame(&g[0], f, VNET_FRAME_MIN - 1); /* too short */
	assert_int_equal(g[0].net.stats.tx_dropped, 2);
	assert_int_equal(get16(&g[0], TX_USED + 2), 2);
	assert_int_equal(receive(&g[1], tags, QSIZE), 0);
	send_frame(&g[0], f, VNET_FRAME_MAX); /* the longest */
	assert_int_equal(receive(&g[1], tags, QSIZE), 1);
	assert_false(mmio_read(&g[0], VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

static void a_receive_buffer_too_small_comes_back_empty(void **state)
{
	uint8_t tags[QSIZE];

	(void)state;
	/* port 1's next buffer holds the header and 20 bytes */
	put_desc(&g[1], RX_DESC, 0, RAM_BASE + RX_BUF, VNET_HDR_LEN + 20, VIRTQ_DESC_F_WRITE, 0);
	send(0, broadcast, 0x61);
	assert_int_equal(receive(&g[1], tags, QSIZE), 0);
	assert_int_equal(get32(&g[1], RX_USED + 4 + 4), 0);
	assert_int_equal(g[1].net.stats.rx_short, 1);
	assert_false(mmio_read(&g[1], VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

static void a_broken_ring_needs_a_reset_and_stops_nobody_else(void **state)
{
	uint8_t f[64], tags[QSIZE];

	(void)state;
	/* a device-writable transmit buffer */
	make_frame(f, broadcast, g[0].net.mac, 0x71, sizeof(f));
	memcpy(g[0].ram + TX_BUF + 64, f, sizeof(f));
	put_desc(&g[0], TX_DESC, 0, RAM_BASE + TX_BUF, VNET_HDR_LEN + sizeof(f), VIRTQ_DESC_F_WRITE,
		 0);
	put16(&g[0], TX_AVAIL + 4, 0);
	put16(&g[0], TX_AVAIL + 2, ++g[0].tx_avail);
	mmio_write(&g[0], VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_true(mmio_read(&g[0], VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(g[0].net.stats.broken, 1);
	assert_int_equal(receive(&g[1], tags, QSIZE), 0);
	/* a receive buffer outside the receiver's RAM: that receiver alone breaks */
	put_desc(&g[2], RX_DESC, 0, RAM_BASE + RAM_SIZE - 8, 2048, VIRTQ_DESC_F_WRITE, 0);
	send(1, broadcast, 0x72);
	receive(&g[2], tags, QSIZE);
	assert_true(mmio_read(&g[2], VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(receive(&g[0], tags, QSIZE), 0); /* g[0] is broken: nothing taken */
	send(1, g[0].net.mac, 0x73);
	/* port 1 still sends: back to port 0 after its reset and start */
	setup_ports(0);
	send(1, broadcast, 0x74);
	assert_int_equal(receive(&g[0], tags, QSIZE), 1);
	assert_int_equal(receive(&g[2], tags, QSIZE), 1);
}

/* A VM built again (at boot, when a shared region's peer was refused) keeps its one place. */
static void a_port_attached_again_keeps_its_place(void **state)
{
	uint8_t tags[QSIZE];

	(void)state;
	virtio_net_init(&g[1].net, &g[1].hooks, 0, g[1].net.mac);
	g[1].rx_avail = g[1].tx_avail = g[1].rx_seen = 0; /* a new guest */
	memset(g[1].ram, 0, RAM_SIZE);
	assert_int_equal(vswitch_attach(&lan0, &g[1].net), E_OK);
	assert_int_equal(lan0.nports, 3);
	assert_int_equal(g[1].net.port, 1);
	start(&g[1]);
	send(0, broadcast, 0x81);
	assert_int_equal(receive(&g[1], tags, QSIZE), 1); /* once, not twice */
	/* a full switch refuses another port */
	static struct virtio_net more[VSWITCH_PORTS - 2];
	for (unsigned i = 0; i < ARRAY_SIZE(more); i++) {
		virtio_net_init(&more[i], &g[0].hooks, 0, g[0].net.mac);
		assert_int_equal(vswitch_attach(&lan0, &more[i]),
				 i < ARRAY_SIZE(more) - 1 ? E_OK : -E_NOMEM);
	}
	assert_int_equal(lan0.nports, VSWITCH_PORTS);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
	    T(the_device_reads_as_virtio_net_with_its_mac),
	    T(broadcast_reaches_every_other_port_of_its_switch_only),
	    T(unknown_unicast_floods_known_goes_to_its_port),
	    T(a_bridge_port_forwards_hosts_behind_it_but_poses_as_no_port),
	    T(a_bridge_cannot_crowd_out_the_ports),
	    T(a_spoofed_source_is_dropped_and_learns_nothing),
	    T(a_receiver_that_never_reads_loses_frames_not_the_switch),
	    T(frames_go_straight_into_posted_buffers_when_that_is_cheap),
	    T(a_port_not_started_gets_nothing),
	    T(bad_frames_are_dropped_and_the_chain_given_back),
	    T(a_receive_buffer_too_small_comes_back_empty),
	    T(a_broken_ring_needs_a_reset_and_stops_nobody_else),
	    T(a_port_attached_again_keeps_its_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
