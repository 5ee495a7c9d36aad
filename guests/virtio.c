/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio: drives kestrel's virtio-console on virtio-mmio slot 0 as a driver would (virtio 1.2
 * §3.1 initialization), and checks every register of it and of empty slots, feature
 * negotiation, output through the transmit queue (the case looks for it on kestrel's console),
 * input through the receive queue (the case types it), a queue reset and a device reset, and
 * broken rings: each must put the device in DEVICE_NEEDS_RESET with a configuration-change
 * interrupt, and a reset must bring it back.
 */
#include <stddef.h>

#include "boot_info.h"
#include "check.h"
#include "fdt.h"
#include "gic.h"
#include "mmio.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"
#include "virtio_mmio.h"

#define RXQ 0
#define TXQ 1

static struct virtq rings[2];
static char bufs[VIRTQ_N][64] __attribute__((aligned(16)));
static const uintptr_t dev = SLOT(0);

static uint32_t r32(uintptr_t base, unsigned off)
{
	return mmio_read32(base + off);
}

static void w32(uintptr_t base, unsigned off, uint32_t v)
{
	mmio_write32(base + off, v);
}

static void zero(void *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		((volatile char *)p)[i] = 0;
}

static unsigned length(const char *s)
{
	unsigned n = 0;

	while (s[n])
		n++;
	return n;
}

static void copy(char *dst, const char *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dst[i] = src[i];
}

/* The device in the DTB as QEMU virt describes its own. */
static void check_dtb(const void *blob)
{
	struct fdt fdt;
	int node = -1, depth = 0;
	bool found = false;

	if (!check(fdt_open(&fdt, blob), "the device tree opens"))
		return;
	while ((node = fdt_next_node(&fdt, node, &depth)) >= 0) {
		uint32_t len;
		const char *name = fdt_node_name(&fdt, node);
		if (!name || length(name) < 11 || name[0] != 'v' || name[6] != '_')
			continue;
		const void *compat = fdt_getprop(&fdt, node, "compatible", &len);
		if (!compat || !fdt_stringlist_contains(compat, len, "virtio,mmio"))
			continue;
		const void *reg = fdt_getprop(&fdt, node, "reg", &len);
		const void *irq = fdt_getprop(&fdt, node, "interrupts", NULL);
		found = true;
		check(reg && len == 16 && fdt_cell((const char *)reg + 4) == SLOT(0) &&
			  fdt_cell((const char *)reg + 12) == 0x200,
		      "DTB %s: reg <0x0 0xa000000 0x0 0x200>", name);
		check(irq && fdt_cell(irq) == 0 && fdt_cell((const char *)irq + 4) == VIRTIO_SPI &&
			  fdt_cell((const char *)irq + 8) == 1,
		      "DTB %s: interrupts <0 16 1> (SPI 16, edge)", name);
		check(fdt_getprop(&fdt, node, "dma-coherent", NULL) != NULL, "DTB %s: dma-coherent",
		      name);
	}
	check(found, "DTB: a virtio,mmio node");
}

/* An empty slot: QEMU's empty transport, before and after a write to every register. */
static void check_empty_slot(unsigned n)
{
	uintptr_t base = SLOT(n);
	unsigned bad = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned off = 0; off < 0x200; off += 4) {
			uint32_t want = off == R_MAGIC	     ? 0x74726976u
					: off == R_VERSION   ? 2u
					: off == R_VENDOR_ID ? 0x554d4551u
							     : 0u;
			uint32_t got = r32(base, off);
			if (got != want && bad++ < 4)
				printf("empty slot %u: 0x%03x = 0x%x, expected 0x%x\n", n, off, got,
				       want);
		}
		for (unsigned off = 0; off < 0x200 && !pass; off += 4)
			w32(base, off, off == R_STATUS ? 0xf : 0xffffffffu);
	}
	check(bad == 0,
	      "empty slot %u (0x%lx): magic \"virt\", version 2, device ID 0, vendor "
	      "QEMU, the rest 0, before and after writing every register",
	      n, (uint64_t)base);
}

static void check_reg(const char *name, unsigned off, uint32_t want)
{
	uint32_t got = r32(dev, off);

	if (got == want)
		check(true, "%s (0x%03x) = 0x%x", name, off, got);
	else
		check(false, "%s (0x%03x) = 0x%x (expected 0x%x)", name, off, got, want);
}

/* §3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK. */
static bool start_device(void)
{
	if (!virtio_negotiate(dev, F_VERSION_1 | F_RING_RESET))
		return false;
	virtq_setup(dev, RXQ, &rings[RXQ], VIRTQ_N);
	virtq_setup(dev, TXQ, &rings[TXQ], VIRTQ_N);
	w32(dev, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return r32(dev, R_STATUS) == (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

static void set_desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct desc *d = &rings[q].desc[i];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Text in buffer i as descriptor i. */
static void text_desc(unsigned i, const char *text, uint16_t flags, uint16_t next)
{
	unsigned n = length(text);

	copy(bufs[i], text, n);
	set_desc(TXQ, i, (uintptr_t)bufs[i], n, flags, next);
}

static void notify(unsigned q)
{
	w32(dev, R_NOTIFY, q);
}

/* Prints one line through the transmit queue; true if the device used it. */
static bool tx_line(const char *text)
{
	uint16_t before = virtq_used_idx(&rings[TXQ]);

	text_desc(0, text, 0, 0);
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
	return virtq_used_idx(&rings[TXQ]) == (uint16_t)(before + 1) &&
	       rings[TXQ].used.ring[before % VIRTQ_N].id == 0;
}

static bool spi_pending(void)
{
	return mmio_read32(GICD_BASE + GICD_ISPENDR + 4 * ((32 + VIRTIO_SPI) / 32)) &
	       (1u << ((32 + VIRTIO_SPI) % 32));
}

static void spi_clear(void)
{
	mmio_write32(GICD_BASE + GICD_ICPENDR + 4 * ((32 + VIRTIO_SPI) / 32),
		     1u << ((32 + VIRTIO_SPI) % 32));
}

static void check_registers(void)
{
	check_reg("MagicValue", R_MAGIC, 0x74726976);
	check_reg("Version", R_VERSION, 2);
	check_reg("DeviceID (console)", R_DEVICE_ID, 3);
	check_reg("VendorID (\"KSTL\")", R_VENDOR_ID, 0x4c54534b);
	w32(dev, R_STATUS, 0);
	check_reg("Status after a reset", R_STATUS, 0);
	check_reg("InterruptStatus after a reset", R_INT_STATUS, 0);
	w32(dev, R_DEV_FEAT_S, 0);
	check_reg("DeviceFeatures[0] (EVENT_IDX)", R_DEV_FEAT, F_EVENT_IDX);
	w32(dev, R_DEV_FEAT_S, 1);
	check_reg("DeviceFeatures[1] (VERSION_1, RING_RESET)", R_DEV_FEAT, 1 | 1u << 8);
	w32(dev, R_DEV_FEAT_S, 2);
	check_reg("DeviceFeatures[2]", R_DEV_FEAT, 0);
	static const struct {
		const char *name;
		unsigned off;
	} write_only[] = {{"DeviceFeaturesSel", R_DEV_FEAT_S}, {"DriverFeatures", R_DRV_FEAT},
			  {"DriverFeaturesSel", R_DRV_FEAT_S}, {"QueueSel", R_QUEUE_SEL},
			  {"QueueNum", R_QUEUE_NUM},	       {"QueueNotify", R_NOTIFY},
			  {"InterruptACK", R_INT_ACK},	       {"QueueDescLow", R_DESC_LO},
			  {"QueueDescHigh", R_DESC_HI},	       {"QueueDriverLow", R_DRIVER_LO},
			  {"QueueDriverHigh", R_DRIVER_HI},    {"QueueDeviceLow", R_DEVICE_LO},
			  {"QueueDeviceHigh", R_DEVICE_HI},    {"SHMSel", R_SHM_SEL},
			  {"QueueReset", R_QUEUE_RESET}};
	for (unsigned i = 0; i < sizeof(write_only) / sizeof(write_only[0]); i++)
		check_reg(write_only[i].name, write_only[i].off, 0);
	check_reg("SHMLenLow (no region: -1)", R_SHM_LEN_LO, 0xffffffff);
	check_reg("ConfigGeneration", R_CONFIG_GEN, 0);
	for (unsigned off = 0; off < 12; off += 4)
		check_reg("config space (cols/rows, max_nr_ports, emerg_wr)", R_CONFIG + off, 0);
	w32(dev, R_QUEUE_SEL, 0);
	check_reg("QueueNumMax of receiveq", R_QUEUE_MAX, 256);
	check_reg("QueueReady of receiveq", R_QUEUE_READY, 0);
	w32(dev, R_QUEUE_SEL, 1);
	check_reg("QueueNumMax of transmitq", R_QUEUE_MAX, 256);
	w32(dev, R_QUEUE_SEL, 2);
	check_reg("QueueNumMax of a queue the console lacks", R_QUEUE_MAX, 0);
}

static void check_negotiation(void)
{
	w32(dev, R_STATUS, 0);
	w32(dev, R_STATUS, S_ACK);
	check_reg("Status after ACKNOWLEDGE", R_STATUS, S_ACK);
	w32(dev, R_STATUS, S_ACK | S_DRIVER);
	check_reg("Status after DRIVER", R_STATUS, S_ACK | S_DRIVER);
	virtio_set_features(dev, F_VERSION_1 | 1); /* VIRTIO_CONSOLE_F_SIZE was not offered */
	w32(dev, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	check_reg("Status: FEATURES_OK refused for an unoffered feature", R_STATUS,
		  S_ACK | S_DRIVER);
	w32(dev, R_STATUS, 0);
	w32(dev, R_STATUS, S_ACK | S_DRIVER);
	virtio_set_features(dev, 0);
	w32(dev, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	check_reg("Status: FEATURES_OK refused without VERSION_1", R_STATUS, S_ACK | S_DRIVER);
	w32(dev, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	check_reg("Status: DRIVER_OK refused without FEATURES_OK", R_STATUS, S_ACK | S_DRIVER);
	w32(dev, R_STATUS, 0);
	w32(dev, R_STATUS, S_ACK | S_DRIVER);
	virtio_set_features(dev, F_VERSION_1);
	w32(dev, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	check_reg("Status: FEATURES_OK kept for VERSION_1", R_STATUS,
		  S_ACK | S_DRIVER | S_FEATURES_OK);
	check(start_device(), "the device starts: features, both queues, DRIVER_OK");
	w32(dev, R_QUEUE_SEL, TXQ);
	check_reg("QueueReady of transmitq once set up", R_QUEUE_READY, 1);
}

static void check_output(void)
{
	w32(dev, R_INT_ACK, 3);
	spi_clear();
	check(tx_line("virtio-console: hello through the transmit queue\n"),
	      "a line through the transmit queue: used idx 1, id 0");
	check_reg("InterruptStatus: used buffer", R_INT_STATUS, 1);
	check(spi_pending(), "SPI 16 (INTID 48) pending in the vGIC");
	spi_clear();
	w32(dev, R_INT_ACK, 1);
	check_reg("InterruptStatus after InterruptACK", R_INT_STATUS, 0);

	/* One chain of three buffers, then four chains for one notify. */
	uint16_t before = virtq_used_idx(&rings[TXQ]);
	text_desc(1, "virtio-console: a chain ", DESC_NEXT, 2);
	text_desc(2, "of three ", DESC_NEXT, 3);
	text_desc(3, "buffers\n", 0, 0);
	virtq_offer(&rings[TXQ], 1);
	notify(TXQ);
	check_eq("used idx after a chain of three", virtq_used_idx(&rings[TXQ]),
		 (uint16_t)(before + 1));
	text_desc(4, "virtio-console: batch 1\n", 0, 0);
	text_desc(5, "virtio-console: batch 2\n", 0, 0);
	text_desc(6, "virtio-console: batch 3\n", 0, 0);
	text_desc(7, "virtio-console: batch 4\n", 0, 0);
	for (unsigned i = 4; i < 8; i++)
		virtq_offer(&rings[TXQ], i);
	notify(TXQ);
	check_eq("used idx after four chains and one notify", virtq_used_idx(&rings[TXQ]),
		 (uint16_t)(before + 5));
	w32(dev, R_INT_ACK, 1);
}

static void check_input(void)
{
	struct virtq *r = &rings[RXQ];
	uint16_t before = virtq_used_idx(&rings[RXQ]);
	uint64_t start, freq = read_sysreg(cntfrq_el0);
	unsigned got = 0;
	char text[65];

	zero(bufs[8], 64);
	set_desc(RXQ, 0, (uintptr_t)bufs[8], 64, DESC_WRITE, 0);
	virtq_offer(&rings[RXQ], 0);
	notify(RXQ);
	printf("virtio: waiting for input\n");
	/* The text comes a character at a time, each in a buffer of its own once posted. */
	start = counter_now();
	while (got < 11 && counter_now() - start < 20 * freq) {
		if (virtq_used_idx(&rings[RXQ]) == before)
			continue;
		__asm__ volatile("dmb sy" ::: "memory");
		uint32_t len = r->used.ring[before % VIRTQ_N].len;
		for (uint32_t i = 0; i < len && got < 64; i++)
			text[got++] = bufs[8][i];
		before++;
		zero(bufs[8], 64);
		set_desc(RXQ, 0, (uintptr_t)bufs[8], 64, DESC_WRITE, 0);
		virtq_offer(&rings[RXQ], 0);
		notify(RXQ);
	}
	text[got] = 0;
	bool same = got >= 11;
	for (unsigned i = 0; i < 11 && same; i++)
		same = text[i] == "ping-virtio"[i];
	check(same, "input through the receive queue: \"%s\"", text);
	w32(dev, R_INT_ACK, 3);
}

static uint16_t vread16(const uint16_t *p)
{
	return *(const volatile uint16_t *)p;
}

static void vwrite16(uint16_t *p, uint16_t v)
{
	*(volatile uint16_t *)p = v;
	__asm__ volatile("dmb sy" ::: "memory");
}

/* Whether the last line raised the used-buffer interrupt; clears it. */
static bool took_interrupt(void)
{
	bool got = spi_pending() && (r32(dev, R_INT_STATUS) & 1);

	w32(dev, R_INT_ACK, 3);
	spi_clear();
	return got;
}

/* VIRTIO_F_EVENT_IDX (§2.7.10) negotiated: kestrel asks for notifies through avail_event and
   interrupts only as used_event says; not negotiated, it writes no avail_event and follows the
   flags. */
static void check_event_idx(void)
{
	struct virtq *r = &rings[TXQ];

	w32(dev, R_STATUS, 0);
	w32(dev, R_STATUS, S_ACK | S_DRIVER);
	virtio_set_features(dev, F_VERSION_1 | F_RING_RESET | F_EVENT_IDX);
	w32(dev, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	check_reg("Status: FEATURES_OK kept for EVENT_IDX", R_STATUS,
		  S_ACK | S_DRIVER | S_FEATURES_OK);
	virtq_setup(dev, RXQ, &rings[RXQ], VIRTQ_N);
	virtq_setup(dev, TXQ, &rings[TXQ], VIRTQ_N);
	vwrite16(&r->used.avail_event, 0x5555);
	w32(dev, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	check_eq("EVENT_IDX: avail_event once started (notify chain 0)",
		 vread16(&r->used.avail_event), 0);
	took_interrupt();
	vwrite16(&r->avail.used_event, 0);
	check(tx_line("virtio-console: event idx, line 1\n"), "EVENT_IDX: a line printed");
	check(took_interrupt(), "EVENT_IDX: used_event 0: the first chain used interrupts");
	check_eq("EVENT_IDX: avail_event after one chain", vread16(&r->used.avail_event), 1);
	vwrite16(&r->avail.used_event, 3);
	tx_line("virtio-console: event idx, line 2\n");
	check(!took_interrupt(), "EVENT_IDX: used_event 3: chain 1 used, no interrupt");
	tx_line("virtio-console: event idx, line 3\n");
	check(!took_interrupt(), "EVENT_IDX: used_event 3: chain 2 used, no interrupt");
	vwrite16(&r->avail.flags, 1); /* NO_INTERRUPT: means nothing with EVENT_IDX */
	tx_line("virtio-console: event idx, line 4\n");
	check(took_interrupt(), "EVENT_IDX: used_event 3: chain 3 used, an interrupt");
	check_eq("EVENT_IDX: avail_event after four chains", vread16(&r->used.avail_event), 4);
	vwrite16(&r->avail.flags, 0);

	check(start_device(), "the device starts without EVENT_IDX");
	vwrite16(&r->used.avail_event, 0x5555);
	vwrite16(&r->avail.used_event, 100);
	took_interrupt();
	tx_line("virtio-console: no event idx\n");
	check(took_interrupt(), "no EVENT_IDX: used_event ignored, an interrupt");
	check_eq("no EVENT_IDX: avail_event not written", vread16(&r->used.avail_event), 0x5555);
}

static void check_queue_reset(void)
{
	w32(dev, R_QUEUE_SEL, TXQ);
	w32(dev, R_QUEUE_RESET, 1);
	check_reg("QueueReady after QueueReset", R_QUEUE_READY, 0);
	check_reg("QueueReset reads 0 (done)", R_QUEUE_RESET, 0);
	virtq_setup(dev, TXQ, &rings[TXQ], 8);
	check_reg("QueueReady of the transmitq set up again", R_QUEUE_READY, 1);
	check(tx_line("virtio-console: after a queue reset\n"),
	      "a line after a queue reset: used idx from 0 again");
}

/* A broken ring: the device wants a reset and says so; a reset brings it back. */
static void bad_ring(const char *what, void (*make)(void))
{
	check(start_device(), "%s: device started", what);
	w32(dev, R_INT_ACK, 3);
	uint16_t before = virtq_used_idx(&rings[TXQ]);
	make();
	check((r32(dev, R_STATUS) & S_NEEDS_RESET) && (r32(dev, R_INT_STATUS) & 2) &&
		  virtq_used_idx(&rings[TXQ]) == before,
	      "%s: DEVICE_NEEDS_RESET, configuration-change interrupt, nothing used", what);
	spi_clear();
	/* Nothing more happens until the reset. */
	notify(TXQ);
	check(virtq_used_idx(&rings[TXQ]) == before, "%s: a notify after it is ignored", what);
	w32(dev, R_STATUS, 0);
	check(r32(dev, R_STATUS) == 0 && r32(dev, R_INT_STATUS) == 0, "%s: reset", what);
}

static void outside_ram(void)
{
	set_desc(TXQ, 0, 0x1000, 16, 0, 0);
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
}

static void past_ram_end(void)
{
	set_desc(TXQ, 0, boot_info.mem_base + boot_info.mem_size - 8, 16, 0, 0);
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
}

static void wrapping(void)
{
	set_desc(TXQ, 0, 0xfffffffffffffff0ull, 0x20, 0, 0);
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
}

static void giant_length(void)
{
	set_desc(TXQ, 0, boot_info.mem_base, 0xffffffffu, 0, 0);
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
}

/* Empty buffers: what a chain holds is printed as it is walked, until the loop shows. */
static void looping_chain(void)
{
	text_desc(0, "", DESC_NEXT, 1);
	text_desc(1, "", DESC_NEXT, 0);
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
}

static void next_out_of_range(void)
{
	text_desc(0, "next ", DESC_NEXT, 200);
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
}

static void head_out_of_range(void)
{
	virtq_offer(&rings[TXQ], 300);
	notify(TXQ);
}

static void avail_idx_jump(void)
{
	rings[TXQ].avail.idx = 1000;
	notify(TXQ);
}

static void writable_tx(void)
{
	text_desc(0, "writable\n", DESC_WRITE, 0);
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
}

static void bad_queue_size(void)
{
	w32(dev, R_QUEUE_SEL, TXQ);
	w32(dev, R_QUEUE_RESET, 1);
	w32(dev, R_QUEUE_NUM, 3);
	w32(dev, R_QUEUE_READY, 1);
}

static void ring_outside_ram(void)
{
	w32(dev, R_QUEUE_SEL, TXQ);
	w32(dev, R_QUEUE_RESET, 1);
	w32(dev, R_QUEUE_NUM, VIRTQ_N);
	w32(dev, R_DESC_LO, 0x2000);
	w32(dev, R_DESC_HI, 0);
	w32(dev, R_QUEUE_READY, 1);
}

/*
 * vCPU 1 rewrites the transmit ring while vCPU 0 posts and notifies: kestrel reads the ring as it
 * changes (the descriptors, their next, the avail ring). Every buffer it could print is empty or
 * broken, so the console stays clean; each round ends used, or in NEEDS_RESET, and kestrel lives.
 */
static volatile int racing, racer_done;

void secondary_main(uint64_t context)
{
	static const uint64_t addrs[] = {0x1000, ~0ull, 0};
	static const uint32_t lens[] = {0, 0xffffffffu, 0};
	static const uint16_t nexts[] = {1, 0, 200};
	uint32_t x = 12345;

	(void)context;
	while (racing) {
		x = x * 1103515245u + 12345u;
		struct desc *d = &rings[TXQ].desc[(x >> 8) & 1];
		unsigned k = (x >> 12) % 3;
		d->addr = k == 2 ? (uintptr_t)bufs[0] : addrs[k];
		d->len = lens[(x >> 16) % 3];
		d->flags = (x >> 20) & 1 ? DESC_NEXT : 0;
		d->next = nexts[(x >> 22) % 3];
		rings[TXQ].avail.ring[(x >> 24) % VIRTQ_N] =
		    (uint16_t)((x >> 26) % 3 == 2 ? 300 : (x >> 26) % 2);
	}
	dsb_sy();
	racer_done = 1;
	dsb_sy();
	psci_cpu_off();
}

static void check_race(void)
{
	unsigned used = 0, broken = 0;

	if (!check(boot_info.num_cpus >= 2, "a second vCPU for the race"))
		return;
	check(start_device(), "race: device started");
	racing = 1;
	dsb_sy();
	check(psci_cpu_on(boot_info.cpu_mpidr[1], entry_ipa(secondary_entry), 1) == PSCI_SUCCESS,
	      "race: vCPU 1 started");
	for (unsigned round = 0; round < 3000; round++) {
		uint16_t before = virtq_used_idx(&rings[TXQ]);
		virtq_offer(&rings[TXQ], round & 1);
		notify(TXQ);
		if (r32(dev, R_STATUS) & S_NEEDS_RESET) {
			broken++;
			if (!start_device())
				break;
		} else if (virtq_used_idx(&rings[TXQ]) != before) {
			used++;
		}
	}
	racing = 0;
	dsb_sy();
	uint64_t start = counter_now(), freq = read_sysreg(cntfrq_el0);
	while (!racer_done && counter_now() - start < 5 * freq)
		;
	check(racer_done, "race: vCPU 1 stopped");
	printf("virtio: race: 3000 rounds against a ring rewritten by vCPU 1: %u used, %u broken\n",
	       used, broken);
	check(used + broken > 0, "race: rounds ended used or in NEEDS_RESET");
}

/* Notifies with nothing posted, and for queues the device lacks: an exit each, nothing done. */
static void check_notify_storm(void)
{
	check(start_device(), "storm: device started");
	uint16_t before = virtq_used_idx(&rings[TXQ]);
	for (unsigned i = 0; i < 20000; i++)
		notify(i % 5);
	check(r32(dev, R_STATUS) == (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK) &&
		  virtq_used_idx(&rings[TXQ]) == before,
	      "storm: 20000 notifies of empty and missing queues changed nothing");
}

/* After a restart (PSCI SYSTEM_RESET) kestrel gives the device back as after a reset, though
   the driver left it running with a queue ready and an interrupt pending. */
static void check_after_restart(void)
{
	check_reg("after a restart: Status", R_STATUS, 0);
	check_reg("after a restart: InterruptStatus", R_INT_STATUS, 0);
	w32(dev, R_QUEUE_SEL, TXQ);
	check_reg("after a restart: QueueReady of transmitq", R_QUEUE_READY, 0);
	check(start_device(), "after a restart: the device starts");
	check(tx_line("virtio-console: after a restart\n"), "after a restart: a line printed");
	test_finish();
}

int main(const void *dtb)
{
	if (boot_info.boot_count > 1)
		check_after_restart();
	check_dtb(dtb);
	check_empty_slot(1);
	check_empty_slot(31);
	check_registers();
	check_negotiation();
	check_output();
	check_input();
	check_event_idx();
	check_queue_reset();

	static const struct {
		const char *what;
		void (*make)(void);
	} bad[] = {
	    {"a buffer outside RAM", outside_ram},
	    {"a buffer across RAM's end", past_ram_end},
	    {"a buffer whose end wraps", wrapping},
	    {"a giant length", giant_length},
	    {"a looping chain", looping_chain},
	    {"a next out of range", next_out_of_range},
	    {"a head out of range", head_out_of_range},
	    {"an avail idx 1000 ahead", avail_idx_jump},
	    {"a writable transmit buffer", writable_tx},
	    {"a queue size not a power of two", bad_queue_size},
	    {"a ring outside RAM", ring_outside_ram},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad_ring(bad[i].what, bad[i].make);

	check_race();
	check_notify_storm();
	check(start_device(), "the device starts again after %u broken rings",
	      (unsigned)(sizeof(bad) / sizeof(bad[0])));
	check(tx_line("virtio-console: alive after the broken rings\n"),
	      "a line after the broken rings");
	if (test_failures())
		test_finish();
	/* Left running, with an interrupt pending: the restart must reset it. */
	virtq_offer(&rings[TXQ], 0);
	notify(TXQ);
	printf("virtio: restarting with the device running\n");
	psci_system_reset();
}
