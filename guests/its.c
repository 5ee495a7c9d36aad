/* SPDX-License-Identifier: Apache-2.0 */
/*
 * its: the virtual ITS and LPIs as an operating system uses them, with 2 vCPUs. The ITS node of
 * the device tree, its identification and type registers, the tables set up in guest memory
 * (property table, a pending table per redistributor, device and collection tables, ITTs and
 * the command queue); then a device mapped (MAPD), a collection per vCPU (MAPC), events mapped
 * to LPIs (MAPTI, MAPI), and LPIs triggered with INT to each vCPU (vCPU 1 waits in WFI), an
 * event moved to the other vCPU (MOVI), a collection moved and moved back (MAPC again), an
 * event discarded (no LPI after it), an LPI through GITS_TRANSLATER, the configuration table
 * read again on INV and INVALL, CLEAR, a redistributor whose LPIs are off until EnableLPIs
 * (its pending table read then), and commands the ITS must refuse (dropped, the queue going
 * on; the queue stalled when it cannot be read, and going on after CWRITER.Retry).
 */
#include "boot_info.h"
#include "check.h"
#include "fdt.h"
#include "gic.h"
#include "its.h"
#include "mmio.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define VCPU1	     1
#define NR_VCPUS     2
#define LOG_MAX	     64
#define WAIT_SECONDS 2
#define PRIO	     0xa0
#define DEV	     5 /* the device most checks use: 32 events */
#define DEV_BITS     5
#define DEV_MAPI     6 /* MAPI needs EventIDs that are LPI INTIDs: 14 event bits */
#define MAPI_BITS    14
#define DEV_MSI	     0	/* GITS_TRANSLATER written by a CPU: DeviceID 0 */
#define ID_BITS	     14 /* LPIs 8192..16383, as GICD_TYPER.IDbits says */
#define NR_LPIS	     ((1u << ID_BITS) - LPI_BASE)

/* The tables, in this guest's memory (its bss): kestrel keeps its own translations but wants
   the declared storage to be RAM. */
static uint8_t prop_table[NR_LPIS] __attribute__((aligned(4096)));
static struct {
	uint8_t bits[1u << (ID_BITS - 3)] __attribute__((aligned(65536))); /* PENDBASER: 64 KiB */
} pend_table[NR_VCPUS];
static uint64_t device_table[512] __attribute__((aligned(4096)));
static uint64_t collection_table[512] __attribute__((aligned(4096)));
static uint8_t itt[8 << DEV_BITS] __attribute__((aligned(256)));
static uint8_t itt_msi[8 << DEV_BITS] __attribute__((aligned(256)));
static uint8_t itt_mapi[8 << MAPI_BITS] __attribute__((aligned(256)));
static struct its_cmd queue[4096 / sizeof(struct its_cmd)] __attribute__((aligned(4096)));

static volatile uint32_t log_len[NR_VCPUS];
static volatile uint32_t log_intid[NR_VCPUS][LOG_MAX];
static volatile uint32_t vcpu1_ready, vcpu1_stop;
static uint64_t freq;
static uintptr_t rd_frame[NR_VCPUS];

static unsigned cpu_index(void)
{
	uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;

	return (boot_info.cpu_mpidr[VCPU1] & MPIDR_AFFINITY_MASK) == self ? VCPU1 : 0;
}

static void irq_hook(unsigned intid)
{
	unsigned cpu = cpu_index();
	uint32_t n = log_len[cpu];

	if (n < LOG_MAX)
		log_intid[cpu][n] = intid;
	log_len[cpu] = n + 1;
	dsb_sy();
}

/* How many times vCPU cpu took intid from entry since on. */
static unsigned taken(unsigned cpu, unsigned since, unsigned intid)
{
	unsigned n = 0;

	for (unsigned i = since; i < log_len[cpu] && i < LOG_MAX; i++)
		n += log_intid[cpu][i] == intid;
	return n;
}

/* Waits (at most WAIT_SECONDS) until vCPU cpu has taken intid since mark. */
static bool wait_taken(unsigned cpu, unsigned since, unsigned intid)
{
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;

	while (!taken(cpu, since, intid) && counter_now() < deadline)
		dmb_sy();
	return taken(cpu, since, intid) > 0;
}

/* A while (a tenth of a second) for something that must not come. */
static void settle(void)
{
	uint64_t until = counter_now() + freq / 10;

	while (counter_now() < until)
		dmb_sy();
}

static bool send(const char *what, struct its_cmd c)
{
	return check(its_send(c), "%s taken (GITS_CREADR = 0x%lx)", what, its_creadr());
}

/* INT of (dev, event): LPI intid is taken on vCPU cpu, once, and not on the other. */
static void check_int(const char *what, uint32_t dev, uint32_t event, unsigned intid, unsigned cpu)
{
	unsigned mark[NR_VCPUS] = {log_len[0], log_len[1]};

	send("INT", its_event(ITS_INT, dev, event, 0));
	check(wait_taken(cpu, mark[cpu], intid), "%s: LPI %u taken on vCPU %u", what, intid, cpu);
	settle();
	check_eq("  ... taken once there", taken(cpu, mark[cpu], intid), 1);
	check_eq("  ... and not on the other vCPU", taken(!cpu, mark[!cpu], intid), 0);
}

/* ---------------------------------------------------------------- vCPU 1 */

void secondary_main(uint64_t context)
{
	(void)context;
	if (!gic_cpu_init())
		psci_cpu_off();
	mmio_write32(gic_redist_sgi() + GICD_ISENABLER, 0xffff);
	dsb_sy();
	vcpu1_ready = 1;
	dsb_sy();
	irq_mask();
	while (!vcpu1_stop) {
		__asm__ __volatile__("wfi" : : : "memory");
		irq_unmask();
		irq_mask();
	}
	psci_cpu_off();
}

static bool start_vcpu1(void)
{
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;
	int64_t ret = psci_cpu_on(boot_info.cpu_mpidr[VCPU1], entry_ipa(secondary_entry), VCPU1);

	if (!check(ret == PSCI_SUCCESS, "CPU_ON of vCPU 1 = %ld", ret))
		return false;
	while (!vcpu1_ready && counter_now() < deadline)
		dmb_sy();
	return check(vcpu1_ready, "vCPU 1 set up its redistributor and waits in WFI");
}

static void stop_vcpu1(void)
{
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;
	uint64_t mpidr = boot_info.cpu_mpidr[VCPU1];

	vcpu1_stop = 1;
	dsb_sy();
	gic_send_sgi(1, mpidr);
	while (psci_affinity_info(mpidr) != PSCI_AFFINITY_OFF && counter_now() < deadline)
		;
}

/* ---------------------------------------------------------------- checks */

static void check_dtb(const void *dtb)
{
	struct fdt fdt;
	int node = 0, depth = 0, found = -1;
	uint32_t len;

	if (!check(fdt_open(&fdt, dtb), "the device tree opens"))
		return;
	while ((node = fdt_next_node(&fdt, node, &depth)) >= 0) {
		const void *compat = fdt_getprop(&fdt, node, "compatible", &len);
		if (compat && fdt_stringlist_contains(compat, len, "arm,gic-v3-its"))
			found = node;
	}
	if (!check(found >= 0, "the DTB has an arm,gic-v3-its node"))
		return;
	const void *reg = fdt_getprop(&fdt, found, "reg", &len);
	uint64_t base = 0, size = 0;
	if (reg && len == 16)
		fdt_read_cells(fdt_read_cells(reg, 2, &base), 2, &size);
	check(base == GITS_BASE && size == 0x20000, "  ... reg = 0x%lx, 0x%lx (QEMU virt's)", base,
	      size);
	check(fdt_getprop(&fdt, found, "msi-controller", &len) != NULL, "  ... msi-controller");
	const void *cells = fdt_getprop(&fdt, found, "#msi-cells", &len);
	check(cells && len == 4 && fdt_cell(cells) == 1, "  ... #msi-cells = <1>");
}

static void check_registers(void)
{
	uint64_t typer = mmio_read64(GITS_BASE + GITS_TYPER);
	uint32_t dtyper = mmio_read32(GICD_BASE + GICD_TYPER);

	check(dtyper & GICD_TYPER_LPIS, "GICD_TYPER.LPIS");
	check_eq("GICD_TYPER.IDbits + 1", ((dtyper >> 19) & 0x1f) + 1, ID_BITS);
	check(mmio_read64(gic_redist() + GICR_TYPER) & 1, "GICR_TYPER.PLPIS");
	check_eq("GITS_PIDR2.ArchRev", (mmio_read32(GITS_BASE + GITS_PIDR2) >> 4) & 0xf, 3);
	check(typer & 1, "GITS_TYPER = 0x%lx: Physical", typer);
	check_eq("GITS_TYPER.ITT_entry_size + 1", ((typer >> 4) & 0xf) + 1, 8);
	check(((typer >> 8) & 0x1f) + 1 >= MAPI_BITS, "GITS_TYPER.ID_bits: %lu EventID bits",
	      ((typer >> 8) & 0x1f) + 1);
	check(((typer >> 13) & 0x1f) + 1 >= 8, "GITS_TYPER.Devbits: %lu DeviceID bits",
	      ((typer >> 13) & 0x1f) + 1);
	check(!(typer & (1ull << 19)), "GITS_TYPER.PTA 0: redistributors by processor number");
	check_eq("GITS_CTLR while disabled: Quiescent", mmio_read32(GITS_BASE + GITS_CTLR),
		 GITS_CTLR_QUIESCENT);
	check_eq("GITS_BASER0.Type (devices)", (mmio_read64(GITS_BASE + GITS_BASER(0)) >> 56) & 7,
		 1);
	check_eq("GITS_BASER1.Type (collections)",
		 (mmio_read64(GITS_BASE + GITS_BASER(1)) >> 56) & 7, 4);
	check_eq("GITS_BASER2 (not implemented)", mmio_read64(GITS_BASE + GITS_BASER(2)), 0);
}

static void set_config(unsigned intid, uint8_t cfg)
{
	prop_table[intid - LPI_BASE] = cfg;
	dsb_sy();
}

/* The tables, both redistributors' (vCPU 1's LPIs stay off: check_enable_lpis), the ITS. */
static void setup(void)
{
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		rd_frame[i] = gic_redist_find(boot_info.cpu_mpidr[i]);
		mmio_write64(rd_frame[i] + GICR_PROPBASER,
			     (uint64_t)(uintptr_t)prop_table | (ID_BITS - 1));
		mmio_write64(rd_frame[i] + GICR_PENDBASER, (uint64_t)(uintptr_t)pend_table[i].bits);
	}
	check_eq("GICR_PROPBASER reads back", mmio_read64(rd_frame[0] + GICR_PROPBASER) & ~0xfffull,
		 (uint64_t)(uintptr_t)prop_table);
	mmio_write32(rd_frame[0] + GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	check_eq("GICR_CTLR.EnableLPIs (vCPU 0)", mmio_read32(rd_frame[0] + GICR_CTLR), 1);
	mmio_write32(rd_frame[0] + GICR_CTLR, 0);
	check_eq("  ... cannot be cleared (GICR_CTLR.CES 0)", mmio_read32(rd_frame[0] + GICR_CTLR),
		 1);
	/* Flat tables of one 4 KiB page: 512 entries of 8 bytes. */
	mmio_write64(GITS_BASE + GITS_BASER(0), GITS_VALID | (uint64_t)(uintptr_t)device_table);
	mmio_write64(GITS_BASE + GITS_BASER(1), GITS_VALID | (uint64_t)(uintptr_t)collection_table);
	check_eq("GITS_BASER0 reads back", mmio_read64(GITS_BASE + GITS_BASER(0)),
		 GITS_VALID | (1ull << 56) | (7ull << 48) | (uint64_t)(uintptr_t)device_table);
	its_queue_init(queue, 1);
	mmio_write32(GITS_BASE + GITS_CTLR, GITS_CTLR_ENABLED);
	check_eq("GITS_CTLR once enabled", mmio_read32(GITS_BASE + GITS_CTLR), GITS_CTLR_ENABLED);
	for (unsigned i = 0; i < 16; i++)
		set_config(LPI_BASE + i, PRIO | LPI_ENABLE);
	set_config(LPI_BASE + 200, PRIO | LPI_ENABLE);
}

static void check_map_and_int(void)
{
	send("MAPD of device 5, 32 events", its_mapd(DEV, DEV_BITS, (uintptr_t)itt, true));
	send("MAPC of collection 0 to vCPU 0", its_mapc(0, 0, true));
	send("MAPC of collection 1 to vCPU 1", its_mapc(1, 1, true));
	send("MAPTI event 0 -> LPI 8192, collection 0", its_mapti(DEV, 0, LPI_BASE, 0));
	send("MAPTI event 1 -> LPI 8193, collection 1", its_mapti(DEV, 1, LPI_BASE + 1, 1));
	send("MAPTI event 2 -> LPI 8194, collection 1", its_mapti(DEV, 2, LPI_BASE + 2, 1));
	send("SYNC", its_sync(0));
	check_int("INT to collection 0", DEV, 0, LPI_BASE, 0);
}

/* vCPU 1's redistributor: an LPI made pending there (INT) and one pending in its table are
   not taken while its LPIs are off; EnableLPIs brings both. */
static void check_enable_lpis(void)
{
	unsigned mark = log_len[1];

	send("INT to collection 1 (vCPU 1's LPIs off)", its_event(ITS_INT, DEV, 1, 0));
	pend_table[1].bits[(LPI_BASE + 2) / 8] |= 1u << ((LPI_BASE + 2) % 8);
	dsb_sy();
	settle();
	check_eq("  ... not taken while GICR_CTLR.EnableLPIs is 0", taken(1, mark, LPI_BASE + 1),
		 0);
	mmio_write32(rd_frame[1] + GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	check(wait_taken(1, mark, LPI_BASE + 1),
	      "EnableLPIs on vCPU 1: the pending LPI 8193 taken");
	check(wait_taken(1, mark, LPI_BASE + 2),
	      "  ... and LPI 8194, pending in its pending table, too");
	check_int("INT to collection 1, vCPU 1 in WFI", DEV, 1, LPI_BASE + 1, 1);
}

static void check_moves(void)
{
	send("MOVI event 1 to collection 0", its_event(ITS_MOVI, DEV, 1, 0));
	check_int("INT after MOVI", DEV, 1, LPI_BASE + 1, 0);
	send("MOVI event 1 back to collection 1", its_event(ITS_MOVI, DEV, 1, 1));
	check_int("INT after MOVI back", DEV, 1, LPI_BASE + 1, 1);
	send("MAPC of collection 1 to vCPU 0 (the collection moves)", its_mapc(1, 0, true));
	check_int("INT to the moved collection", DEV, 2, LPI_BASE + 2, 0);
	send("MAPC of collection 1 to vCPU 1 again", its_mapc(1, 1, true));
	check_int("INT to the collection moved back", DEV, 2, LPI_BASE + 2, 1);
}

static void check_discard(void)
{
	unsigned mark = log_len[0];

	send("DISCARD of event 0", its_event(ITS_DISCARD, DEV, 0, 0));
	send("INT of the discarded event (a command error: dropped)",
	     its_event(ITS_INT, DEV, 0, 0));
	settle();
	check_eq("no LPI 8192 after DISCARD", taken(0, mark, LPI_BASE), 0);
	send("MAPTI event 0 -> LPI 8192 again", its_mapti(DEV, 0, LPI_BASE, 0));
	check_int("INT of the event mapped again", DEV, 0, LPI_BASE, 0);
}

static void check_translater(void)
{
	unsigned mark = log_len[0];

	send("MAPD of device 0 (a CPU's writes to GITS_TRANSLATER)",
	     its_mapd(DEV_MSI, DEV_BITS, (uintptr_t)itt_msi, true));
	send("MAPTI device 0 event 3 -> LPI 8195", its_mapti(DEV_MSI, 3, LPI_BASE + 3, 0));
	mmio_write32(GITS_BASE + GITS_TRANSLATER, 3);
	check(wait_taken(0, mark, LPI_BASE + 3), "GITS_TRANSLATER = 3: LPI 8195 taken");
	settle();
	check_eq("  ... once", taken(0, mark, LPI_BASE + 3), 1);
}

static void check_mapi(void)
{
	send("MAPD of device 6, 14 event bits",
	     its_mapd(DEV_MAPI, MAPI_BITS, (uintptr_t)itt_mapi, true));
	send("MAPI event 8392 (its own LPI) to collection 1",
	     its_event(ITS_MAPI, DEV_MAPI, LPI_BASE + 200, 1));
	check_int("INT after MAPI", DEV_MAPI, LPI_BASE + 200, LPI_BASE + 200, 1);
}

/* The configuration table is cached: a change shows after INV or INVALL, not before. */
static void check_inv(void)
{
	unsigned mark = log_len[0];

	set_config(LPI_BASE + 4, PRIO); /* disabled */
	send("MAPTI event 4 -> LPI 8196 (disabled)", its_mapti(DEV, 4, LPI_BASE + 4, 0));
	send("INT of the disabled LPI", its_event(ITS_INT, DEV, 4, 0));
	settle();
	check_eq("a disabled LPI is not taken", taken(0, mark, LPI_BASE + 4), 0);
	set_config(LPI_BASE + 4, PRIO | LPI_ENABLE);
	settle();
	check_eq("  ... nor once enabled in the table, before INV", taken(0, mark, LPI_BASE + 4),
		 0);
	send("INV", its_event(ITS_INV, DEV, 4, 0));
	check(wait_taken(0, mark, LPI_BASE + 4), "  ... taken after INV");

	mark = log_len[0];
	set_config(LPI_BASE + 5, PRIO);
	send("MAPTI event 5 -> LPI 8197 (disabled)", its_mapti(DEV, 5, LPI_BASE + 5, 0));
	send("INT", its_event(ITS_INT, DEV, 5, 0));
	set_config(LPI_BASE + 5, PRIO | LPI_ENABLE);
	send("INVALL of collection 0", its_invall(0));
	check(wait_taken(0, mark, LPI_BASE + 5), "a disabled pending LPI taken after INVALL");

	mark = log_len[0];
	set_config(LPI_BASE + 6, PRIO);
	send("MAPTI event 6 -> LPI 8198 (disabled)", its_mapti(DEV, 6, LPI_BASE + 6, 0));
	send("INT", its_event(ITS_INT, DEV, 6, 0));
	send("CLEAR", its_event(ITS_CLEAR, DEV, 6, 0));
	set_config(LPI_BASE + 6, PRIO | LPI_ENABLE);
	send("INV", its_event(ITS_INV, DEV, 6, 0));
	settle();
	check_eq("an LPI cleared before it was enabled is not taken", taken(0, mark, LPI_BASE + 6),
		 0);
}

/* What the ITS refuses is dropped and the queue goes on; a queue it cannot read stalls it. */
static void check_errors(void)
{
	unsigned mark = log_len[0];

	send("an unknown command (0xff)", (struct its_cmd){{0xff, ~0ull, ~0ull, ~0ull}});
	send("MAPD of a DeviceID past the device table", its_mapd(4096, DEV_BITS, 0, true));
	send("MAPD with an ITT outside RAM", its_mapd(7, DEV_BITS, 0x1000, true));
	send("MAPTI to an LPI beyond IDbits", its_mapti(DEV, 7, 1u << ID_BITS, 0));
	send("MAPTI to an INTID below 8192", its_mapti(DEV, 7, 100, 0));
	send("MAPC to a redistributor that does not exist", its_mapc(2, 7, true));
	send("INT of an unmapped device", its_event(ITS_INT, 7, 0, 0));
	send("INT of an event past the device's", its_event(ITS_INT, DEV, 1u << DEV_BITS, 0));
	settle();
	check_eq("none of them made an LPI", log_len[0] - mark, 0);
	check_int("the ITS still works", DEV, 0, LPI_BASE, 0);

	/* CWRITER beyond the queue: ignored. */
	uint64_t before = mmio_read64(GITS_BASE + GITS_CWRITER);
	mmio_write64(GITS_BASE + GITS_CWRITER, 1ull << 19);
	check_eq("GITS_CWRITER past the queue is ignored", mmio_read64(GITS_BASE + GITS_CWRITER),
		 before);

	/* The queue moved outside RAM: the ITS stalls on its next command. */
	mmio_write32(GITS_BASE + GITS_CTLR, 0);
	mmio_write64(GITS_BASE + GITS_CBASER, GITS_VALID | 0x1000);
	mmio_write32(GITS_BASE + GITS_CTLR, GITS_CTLR_ENABLED);
	mmio_write64(GITS_BASE + GITS_CWRITER, 32);
	check_eq("a queue outside RAM: GITS_CREADR.Stalled", its_creadr(), GITS_CREADR_STALLED);
	mmio_write64(GITS_BASE + GITS_CWRITER, 32 | GITS_CWRITER_RETRY);
	check_eq("  ... and again after CWRITER.Retry", its_creadr(), GITS_CREADR_STALLED);
	mmio_write32(GITS_BASE + GITS_CTLR, 0);
	its_queue_init(queue, 1);
	mmio_write32(GITS_BASE + GITS_CTLR, GITS_CTLR_ENABLED);
	check_eq("a new GITS_CBASER: CREADR 0, not stalled", its_creadr(), 0);
	check_int("the ITS works again", DEV, 0, LPI_BASE, 0);
}

int main(const void *dtb)
{
	freq = counter_freq();
	check_dtb(dtb);
	if (!check(gic_dist_init(), "distributor initialised") ||
	    !check(gic_cpu_init(), "vCPU 0's redistributor awake"))
		test_finish();
	gic_set_irq_hook(irq_hook);
	mmio_write32(gic_redist_sgi() + GICD_ISENABLER, 0xffff);
	check_registers();
	if (!check(boot_info.num_cpus >= NR_VCPUS, "DTB lists %u vCPUs, need 2",
		   boot_info.num_cpus) ||
	    !start_vcpu1())
		test_finish();
	irq_unmask();
	setup();
	check_map_and_int();
	check_enable_lpis();
	check_moves();
	check_discard();
	check_translater();
	check_mapi();
	check_inv();
	check_errors();
	stop_vcpu1();
	irq_mask();
	check_eq("spurious IRQs", gic_spurious_count(), 0);
	test_finish();
}
