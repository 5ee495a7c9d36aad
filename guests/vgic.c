/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vgic: the virtual GICv3 as an operating system sees it. Identification registers, one
 * redistributor per vCPU found by affinity, the per-interrupt registers of the distributor
 * and the redistributor, SGIs to this vCPU, to the other one and to all others, SPI routing,
 * priority masking, interrupts made pending again while active, a level-sensitive SPI (the
 * UART's), the timers' PPIs, and more interrupts pending at once than there are list
 * registers. Boot with 2 vCPUs.
 *
 * Also: the identification and control registers' values, the redistributors' sleep
 * handshake, which accesses the one-bit-per-interrupt registers ignore, the group rules of the
 * three SGI generation registers, SGI affinity routing (Aff3.Aff2.Aff1 and the range
 * selector), and an SGI reaching vCPU 1 while it spins in the guest without ever exiting.
 * And what another vCPU does to an interrupt waiting in vCPU 1's list registers (route it
 * elsewhere, clear its pending or active state) takes effect at once; an SPI routed to an
 * affinity no vCPU has goes nowhere. The timers' PPIs follow their timers' output level:
 * pending while due and unmasked, enabled in the GIC or not, and never taken once the guest
 * masked or stopped a timer that had fired.
 *
 * Both vCPUs log the INTIDs their IRQ handler takes; only the boot vCPU prints. vCPU 1 sets
 * up its own redistributor and CPU interface, then sleeps in WFI with IRQs unmasked.
 */
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "mmio.h"
#include "pl011.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define VCPU1	     1
#define NR_LOGGED    2 /* vCPUs whose interrupts are logged */
#define LOG_MAX	     128
#define WAIT_SECONDS 5

/* Interrupts the checks use. */
#define SPI_A	     40
#define SPI_B	     41
#define SPI_C	     42
#define SPI_ROUTED   43
#define SPI_MASKED   44
#define SPI_MANY     45 /* 45..48 */
#define PPI_A	     20
#define PPI_B	     21
#define PPI_C	     22
#define SGI_SELF     1
#define SGI_OTHER    3
#define SGI_ALL	     5
#define SGI_LIST     6
#define SGI_PENDING  9
#define SGI_ROUTE    10
#define SGI_HOLD     11 /* resent to vCPU 1 while it handles it */
#define SGI_RESELF   12 /* resent to self from its own handler */
#define SGI_GROUP    13
#define SGI_SPIN     14 /* ends vCPU 1's spin */
#define SGI_WAKE     15
#define SPI_HOLD     49 /* pended again while vCPU 1 handles it */
#define SPI_LR	     50 /* sits in vCPU 1's list register while another vCPU changes it */
#define SPI_NOBODY   51 /* routed to an affinity no vCPU has */
#define NO_VCPU_AFF  0xfeul
#define SPI_UART     33 /* QEMU virt's PL011: SPI 1, level-sensitive */
#define PL011_INT_TX (1u << 5)

#define CNT_CTL_ENABLE (1ul << 0)
#define CNT_CTL_IMASK  (1ul << 1)

/* The SGI generation registers, by name (write_sysreg pastes its argument unexpanded):
   ICC_SGI1R_EL1 is S3_0_C12_C11_5, ICC_ASGI1R_EL1 S3_0_C12_C11_6, ICC_SGI0R_EL1 S3_0_C12_C11_7. */
#define SGIR_RS_SHIFT 44

#define IIDR_KESTREL	      0x4b00043bu /* implementer Arm (0x43b), product 'K' (hyp/vdev/vgic_mmio.c) */
#define GICR_CTLR_ENABLE_LPIS (1u << 0)

/* What each vCPU's IRQ handler took, in order. Written by that vCPU only. */
static volatile uint32_t log_len[NR_LOGGED];
static volatile uint32_t log_intid[NR_LOGGED][LOG_MAX];

/* vCPU 1: 0 before it runs, 1 once its GIC is set up, 2 if that failed. */
#define VCPU1_READY  1
#define VCPU1_FAILED 2
static volatile uint32_t vcpu1_state;
static volatile uint32_t vcpu1_stop;

static uint64_t freq;

static uintptr_t vcpu1_sgi_frame(void);

/*
 * vCPU 1 holds hold_intid active: its handler announces it (hold_state 1) and returns only
 * when vCPU 0 sets hold_release (or after a second), then sets hold_state 2.
 */
static volatile uint32_t hold_intid = GIC_INTID_SPURIOUS;
static volatile uint32_t hold_state;
static volatile uint32_t hold_release;

/* vCPU 0's handler resends SGI_RESELF to itself while it is active, once. */
static volatile uint32_t reself_armed;
static volatile uint32_t reself_active, reself_pending; /* GICR bits seen in the handler */

/* The UART's line is a level: the handler leaves it high the first time, masks it the second. */
static volatile uint32_t uart_takes;

/*
 * vCPU 1 spins in the guest when vCPU 0 sets spin_request and wakes it: spin_state 1 while in
 * the loop, 2 once out; its handler for SGI_SPIN sets spin_flag, which ends the loop. The loop
 * is bounded by SPIN_LIMIT iterations (some seconds) so a lost SGI cannot hang the test.
 */
#define SPIN_LIMIT (1ul << 28)
static volatile uint32_t spin_request, spin_state, spin_flag;
static volatile uint64_t spin_loops;

static unsigned cpu_index(void)
{
	uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;

	for (unsigned i = 0; i < boot_info.num_cpus && i < NR_LOGGED; i++)
		if ((boot_info.cpu_mpidr[i] & MPIDR_AFFINITY_MASK) == self)
			return i;
	return 0;
}

static void delay_ticks(uint64_t ticks)
{
	uint64_t end = counter_now() + ticks;

	while (counter_now() < end)
		;
}

static void hold_active(void)
{
	uint64_t deadline = counter_now() + freq;

	hold_state = 1;
	dsb_sy();
	while (!hold_release && counter_now() < deadline)
		dmb_sy();
	hold_state = 2;
	dsb_sy();
}

static void resend_self(void)
{
	uint32_t bit = 1u << SGI_RESELF;

	reself_armed = 0;
	reself_active = mmio_read32(gic_redist_sgi() + GICD_ISACTIVER) & bit;
	gic_send_sgi(SGI_RESELF, read_sysreg(mpidr_el1));
	reself_pending = mmio_read32(gic_redist_sgi() + GICD_ISPENDR) & bit;
}

static void irq_hook(unsigned intid)
{
	unsigned cpu = cpu_index(), n = log_len[cpu];

	/* The timers' outputs are levels: turning a timer off is what quiets it. */
	if (intid == GIC_PPI_VIRT_TIMER)
		write_sysreg(cntv_ctl_el0, 0);
	if (intid == GIC_PPI_PHYS_TIMER)
		write_sysreg(cntp_ctl_el0, 0);
	isb();
	if (intid == SPI_UART) {
		uart_takes = uart_takes + 1;
		if (uart_takes >= 2)
			mmio_write32(boot_info.uart_base + PL011_IMSC, 0);
	}
	if (cpu == VCPU1 && intid == hold_intid && hold_state == 0)
		hold_active();
	if (cpu == 0 && intid == SGI_RESELF && reself_armed)
		resend_self();
	if (cpu == VCPU1 && intid == SGI_SPIN)
		spin_flag = 1;
	if (n < LOG_MAX)
		log_intid[cpu][n] = intid;
	dsb_sy();
	log_len[cpu] = n + 1;
	dsb_sy();
}

/* A point in both logs: checks count what was taken since. */
struct mark {
	unsigned len[NR_LOGGED];
};

static struct mark mark(void)
{
	struct mark m;

	dmb_sy();
	for (unsigned c = 0; c < NR_LOGGED; c++)
		m.len[c] = log_len[c];
	return m;
}

static unsigned taken_since(const struct mark *m, unsigned cpu)
{
	dmb_sy();
	return log_len[cpu] - m->len[cpu];
}

static unsigned count_since(const struct mark *m, unsigned cpu, unsigned intid)
{
	unsigned n = 0, end = log_len[cpu];

	dmb_sy();
	for (unsigned i = m->len[cpu]; i < end && i < LOG_MAX; i++)
		if (log_intid[cpu][i] == intid)
			n++;
	return n;
}

/* Waits, bounded by the counter, until cpu has taken intid at least times times since m. */
static bool wait_taken_n(const struct mark *m, unsigned cpu, unsigned intid, unsigned times)
{
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;

	while (count_since(m, cpu, intid) < times)
		if (counter_now() > deadline)
			return false;
	return true;
}

static bool wait_taken(const struct mark *m, unsigned cpu, unsigned intid)
{
	return wait_taken_n(m, cpu, intid, 1);
}

/*
 * Gives an interrupt that should not come every chance to: a few exits (where kestrel
 * refills the list registers) and 20 ms. Also the room a duplicate would need to show up.
 */
static void settle(void)
{
	for (int i = 0; i < 4; i++)
		(void)smccc_call(SMCCC_VERSION, 0, 0, 0, NULL);
	delay_ticks(freq / 50);
}

static uint64_t self_mpidr(void)
{
	return read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
}

static uint64_t vcpu1_mpidr(void)
{
	return boot_info.cpu_mpidr[VCPU1] & MPIDR_AFFINITY_MASK;
}

static const char *frame_name(unsigned intid)
{
	return intid < GIC_NR_PRIVATE ? "GICR" : "GICD";
}

/* ---------------------------------------------------------------- vCPU 1 */

/*
 * Loads, compares and adds, with IRQs unmasked: nothing here traps, and kestrel has no reason
 * to take vCPU 1 off its CPU (it runs alone there, so no time slice is armed, and its timers
 * are off). Only the physical SGI kestrel sends to kick it makes it exit and see the SGI.
 */
static void spin_until_flag(void)
{
	uint64_t n = 0;

	spin_request = 0;
	spin_flag = 0;
	dsb_sy();
	spin_state = 1;
	dsb_sy();
	irq_unmask();
	while (!spin_flag && n < SPIN_LIMIT)
		n++;
	irq_mask();
	spin_loops = n;
	dsb_sy();
	spin_state = 2;
	dsb_sy();
}

void secondary_main(uint64_t context)
{
	(void)context;
	if (!gic_cpu_init()) {
		vcpu1_state = VCPU1_FAILED;
		dsb_sy();
		psci_cpu_off();
	}
	mmio_write32(gic_redist_sgi() + GICD_ISENABLER, 0xffff); /* all SGIs */
	dsb_sy();
	vcpu1_state = VCPU1_READY;
	dsb_sy();
	/* vCPU 0 sets vcpu1_stop, then sends an SGI. The check and the WFI run with IRQs masked,
	   so an SGI arriving in between stays pending and ends the WFI instead of being taken
	   before it; the handlers run in the unmasked window of each round. */
	irq_mask();
	while (!vcpu1_stop) {
		if (spin_request)
			spin_until_flag();
		__asm__ __volatile__("wfi" : : : "memory");
		irq_unmask();
		irq_mask();
	}
	psci_cpu_off();
}

static bool start_vcpu1(void)
{
	int64_t ret = psci_cpu_on(boot_info.cpu_mpidr[VCPU1], entry_ipa(secondary_entry), VCPU1);
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;

	if (!check(ret == PSCI_SUCCESS, "CPU_ON of vCPU 1 = %ld", ret))
		return false;
	while (vcpu1_state == 0 && counter_now() < deadline)
		dmb_sy();
	return check(vcpu1_state == VCPU1_READY,
		     "vCPU 1 found its redistributor, woke it and enabled its SGIs");
}

static void stop_vcpu1(void)
{
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;

	vcpu1_stop = 1;
	gic_send_sgi(SGI_WAKE, vcpu1_mpidr());
	while (psci_affinity_info(vcpu1_mpidr()) != PSCI_AFFINITY_OFF)
		if (counter_now() > deadline)
			break;
	check(psci_affinity_info(vcpu1_mpidr()) == PSCI_AFFINITY_OFF, "vCPU 1 turned itself off");
}

/* ---------------------------------------------------------------- identification */

static void check_distributor_id(void)
{
	uint32_t pidr2 = mmio_read32(GICD_BASE + GIC_PIDR2);
	uint32_t typer = mmio_read32(GICD_BASE + GICD_TYPER);
	unsigned lines = (unsigned)field(typer, 0, 5), idbits = (unsigned)field(typer, 19, 5) + 1;

	unsigned cpus = (unsigned)field(typer, 5, 3) + 1;

	check(field(pidr2, 4, 4) == 3, "GICD_PIDR2 = 0x%x: ArchRev 3 (GICv3)", pidr2);
	check(lines >= 2, "GICD_TYPER = 0x%x: ITLinesNumber %u, %u SPIs (at least 64)", typer,
	      lines, 32 * (lines + 1) - 32);
	check(idbits >= 10 && idbits <= 24, "GICD_TYPER.IDbits: %u INTID bits (10 to 24)", idbits);
	check(cpus == (boot_info.num_cpus < 8 ? boot_info.num_cpus : 8),
	      "GICD_TYPER.CPUNumber: %u PEs, as many as the DTB's %u vCPUs", cpus,
	      boot_info.num_cpus);
	check(typer & (1u << 17), "GICD_TYPER.LPIS set: LPIs (the ITS guest uses them)");
	check(idbits >= 14, "GICD_TYPER.IDbits: %u, enough for LPIs (14 or more)", idbits);
	check_eq("GICD_IIDR", mmio_read32(GICD_BASE + GICD_IIDR), IIDR_KESTREL);
}

/*
 * GICD_TYPER.ITLinesNumber says which SPIs exist: the last one it covers has an enable bit,
 * the first one past it (if below 1020) reads as zero and ignores writes.
 */
static void check_spi_count(void)
{
	unsigned last = 32 * ((unsigned)field(mmio_read32(GICD_BASE + GICD_TYPER), 0, 5) + 1) - 1;
	uintptr_t reg = GICD_BASE + GICD_ISENABLER + 4 * (last / 32);
	uint32_t bit = 1u << (last % 32);

	gic_enable(last);
	bool on = mmio_read32(reg) & bit;
	gic_disable(last);
	check(on && !(mmio_read32(reg) & bit),
	      "SPI %u, the last GICD_TYPER.ITLinesNumber covers: its enable bit sets and clears",
	      last);
	if (last + 1 < 1020) {
		uintptr_t past = GICD_BASE + GICD_ISENABLER + 4 * ((last + 1) / 32);
		mmio_write32(past, 0xffffffff);
		check_eq("GICD_ISENABLER of the SPIs past ITLinesNumber after writing all ones",
			 mmio_read32(past), 0);
	}
}

/*
 * The one-bit-per-interrupt registers take 32-bit accesses only: kestrel makes byte and
 * halfword ones read as zero and ignores their writes (the architecture leaves them
 * unpredictable; RAZ/WI is the choice vgic_mmio.c documents).
 */
static void check_bit_register_widths(unsigned spi)
{
	uintptr_t reg = GICD_BASE + GICD_ISENABLER + 4 * (spi / 32);
	uintptr_t byte = reg + (spi % 32) / 8;
	uint32_t bit = 1u << (spi % 32);

	mmio_write8(byte, 0xff);
	mmio_write16(reg, 0xffff);
	mmio_write16(reg + 2, 0xffff);
	check_eq("GICD_ISENABLER after byte and halfword writes of all ones", mmio_read32(reg), 0);
	gic_enable(spi);
	uint32_t word = mmio_read32(reg);
	uint8_t b = mmio_read8(byte);
	uint16_t h = mmio_read16(reg + ((spi % 32) / 16) * 2);
	gic_disable(spi);
	check(word == bit && b == 0 && h == 0,
	      "SPI %u enabled: GICD_ISENABLER word read 0x%x, byte read 0x%x, halfword read 0x%x "
	      "(expected 0x%x, 0, 0)",
	      spi, word, b, h, bit);
	mmio_write8(gic_redist_sgi() + GICD_ICENABLER, 0xff);
	check_eq("GICR_ISENABLER0 after a byte write of all ones to GICR_ICENABLER0",
		 mmio_read32(gic_redist_sgi() + GICD_ISENABLER) & 0xff, 0xff);
}

static void check_distributor_enabled(void)
{
	uint32_t ctlr = mmio_read32(GICD_BASE + GICD_CTLR);

	check((ctlr & (GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1)) ==
		  (GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1),
	      "GICD_CTLR = 0x%x: ARE and EnableGrp1 set", ctlr);
	check(!(ctlr & GICD_CTLR_RWP), "GICD_CTLR.RWP clear");
	check_eq("GICD_IGROUPR1 (SPIs 32-63 in Group 1)", mmio_read32(GICD_BASE + GICD_IGROUPR + 4),
		 0xffffffff);
}

/* Each frame up to GICR_TYPER.Last is a distinct vCPU's; Last is set on the last one only. */
static void check_redistributor_frames(void)
{
	unsigned frames = 0, n;
	bool seen[MAX_VCPUS] = {false};

	for (n = 0; n < GICR_MAX_FRAMES; n++) {
		uintptr_t rd = GICR_BASE + n * GICR_FRAME_STRIDE;
		uint64_t typer = mmio_read64(rd + GICR_TYPER);
		uint64_t mpidr = gic_typer_to_mpidr(typer);
		bool last = typer & GICR_TYPER_LAST;
		unsigned cpu = MAX_VCPUS;

		for (unsigned i = 0; i < boot_info.num_cpus; i++)
			if ((boot_info.cpu_mpidr[i] & MPIDR_AFFINITY_MASK) == mpidr && !seen[i])
				cpu = i;
		if (check(cpu < MAX_VCPUS,
			  "GICR frame %u: GICR_TYPER = 0x%lx, affinity 0x%lx is a vCPU's MPIDR", n,
			  typer, mpidr))
			seen[cpu] = true;
		check(last == (n + 1 == boot_info.num_cpus), "GICR frame %u: Last %s", n,
		      last ? "set" : "clear");
		frames++;
		if (last)
			break;
	}
	check_eq("redistributor frames up to GICR_TYPER.Last", frames, boot_info.num_cpus);

	uint64_t t64 = mmio_read64(GICR_BASE + GICR_TYPER);
	uint64_t t32 = mmio_read32(GICR_BASE + GICR_TYPER) |
		       (uint64_t)mmio_read32(GICR_BASE + GICR_TYPER + 4) << 32;
	check(t32 == t64, "GICR_TYPER read as two 32-bit halves = 0x%lx, as one 64-bit read", t32);
	uint32_t pidr2 = mmio_read32(GICR_BASE + GIC_PIDR2);
	check(field(pidr2, 4, 4) == 3, "GICR_PIDR2 = 0x%x: ArchRev 3", pidr2);

	/* Before any vCPU woke its redistributor: every one is asleep. */
	for (n = 0; n < frames && n < MAX_VCPUS; n++) {
		uintptr_t rd = GICR_BASE + n * GICR_FRAME_STRIDE;
		check_eq("GICR_WAKER at reset (ProcessorSleep | ChildrenAsleep)",
			 mmio_read32(rd + GICR_WAKER), GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP);
	}
}

static void check_own_redistributor(void)
{
	uintptr_t rd = gic_redist();

	check(rd == gic_redist_find(self_mpidr()) &&
		  gic_typer_to_mpidr(mmio_read64(rd + GICR_TYPER)) == self_mpidr(),
	      "this vCPU's redistributor: frame at 0x%lx, affinity = MPIDR 0x%lx", rd,
	      self_mpidr());
	check_eq("GICR_WAKER once awake", mmio_read32(rd + GICR_WAKER), 0);
	check_eq("GICR_IIDR", mmio_read32(rd + GICR_IIDR), IIDR_KESTREL);
	check_eq("GICR_CTLR (LPIs off, no pending writes)", mmio_read32(rd + GICR_CTLR), 0);
	mmio_write32(rd + GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	check_eq("GICR_CTLR after writing EnableLPIs (set: no table, so no LPI ever arrives)",
		 mmio_read32(rd + GICR_CTLR), GICR_CTLR_ENABLE_LPIS);
	check_eq("GICR_IGROUPR0 (SGIs and PPIs in Group 1)",
		 mmio_read32(gic_redist_sgi() + GICD_IGROUPR), 0xffffffff);
	check_eq("GICR_ICFGR0 (SGIs are edge-triggered)",
		 mmio_read32(gic_redist_sgi() + GICD_ICFGR), 0xaaaaaaaa);
	mmio_write32(gic_redist_sgi() + GICD_ICFGR, 0);
	check_eq("GICR_ICFGR0 after writing 0 (SGIs stay edge-triggered)",
		 mmio_read32(gic_redist_sgi() + GICD_ICFGR), 0xaaaaaaaa);
}

/* The sleep handshake Linux does: setting ProcessorSleep puts the redistributor to sleep
   (ChildrenAsleep follows), clearing it wakes it; ChildrenAsleep itself is read-only. */
static void check_waker_handshake(void)
{
	uintptr_t waker = gic_redist() + GICR_WAKER;

	mmio_write32(waker, GICR_WAKER_SLEEP);
	check_eq("GICR_WAKER after setting ProcessorSleep", mmio_read32(waker),
		 GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP);
	mmio_write32(waker, 0);
	check_eq("GICR_WAKER after clearing ProcessorSleep again", mmio_read32(waker), 0);
	mmio_write32(waker, GICR_WAKER_ASLEEP);
	check_eq("GICR_WAKER after writing ChildrenAsleep alone (read-only)", mmio_read32(waker),
		 0);
}

/*
 * GICR_ICFGR1: a PPI's trigger is implementation defined; kestrel lets the guest program it
 * (two bits per PPI, the upper one meaning edge). At reset every PPI is level-sensitive.
 */
static void check_ppi_config(unsigned ppi)
{
	uintptr_t reg = gic_redist_sgi() + GICD_ICFGR + 4;
	uint32_t mask = 2u << (2 * (ppi % 16));

	check_eq("GICR_ICFGR1 at reset (PPIs level-sensitive)", mmio_read32(reg), 0);
	gic_set_edge(ppi, true);
	uint32_t edge = mmio_read32(reg);
	gic_set_edge(ppi, false);
	uint32_t level = mmio_read32(reg);
	check(edge == mask && level == 0,
	      "GICR_ICFGR1 for PPI %u: edge reads 0x%x, level reads 0x%x (expected 0x%x, 0)", ppi,
	      edge, level, mask);
}

/* ---------------------------------------------------------------- SGIs */

static void check_sgi_self(void)
{
	struct mark m = mark();

	gic_send_sgi(SGI_SELF, self_mpidr());
	bool taken = wait_taken(&m, 0, SGI_SELF);
	settle();
	check(taken && count_since(&m, 0, SGI_SELF) == 1 && taken_since(&m, 0) == 1,
	      "SGI %u to self (TargetList bit Aff0 0): handler saw INTID %u once (%u IRQs)",
	      SGI_SELF, SGI_SELF, taken_since(&m, 0));
}

/* An SGI generation register value for intid naming this vCPU alone. */
static uint64_t sgir_self(unsigned intid)
{
	uint64_t mpidr = self_mpidr();

	return (field(mpidr, 32, 8) << 48) | (field(mpidr, 0, 8) / 16 << SGIR_RS_SHIFT) |
	       (field(mpidr, 16, 8) << 32) | ((uint64_t)intid << 24) | (field(mpidr, 8, 8) << 16) |
	       (1u << (mpidr & 0xf));
}

static bool sgi_pending_self(unsigned intid)
{
	return mmio_read32(gic_redist_sgi() + GICD_ISPENDR) & (1u << intid);
}

/*
 * A single Security state (GICD_CTLR.DS): ICC_SGI0R_EL1 generates an SGI only where it is
 * Group 0, ICC_ASGI1R_EL1 likewise (Group 1 of the other Security state does not exist), and
 * ICC_SGI1R_EL1 in either group. kestrel forwards Group 1 only: a Group 0 SGI stays pending.
 */
static void check_sgi_groups(void)
{
	struct mark m = mark();
	bool p;

	write_sysreg(icc_sgi0r_el1, sgir_self(SGI_GROUP));
	isb();
	settle();
	p = sgi_pending_self(SGI_GROUP);
	check(!p && taken_since(&m, 0) == 0,
	      "ICC_SGI0R_EL1 for SGI %u, which is Group 1: not pending in GICR_ISPENDR0, not taken",
	      SGI_GROUP);
	write_sysreg(icc_asgi1r_el1, sgir_self(SGI_GROUP));
	isb();
	settle();
	p = sgi_pending_self(SGI_GROUP);
	check(!p && taken_since(&m, 0) == 0,
	      "ICC_ASGI1R_EL1 for SGI %u, which is Group 1: not pending, not taken", SGI_GROUP);

	gic_set_group1(SGI_GROUP, false);
	write_sysreg(icc_sgi0r_el1, sgir_self(SGI_GROUP));
	isb();
	settle();
	p = sgi_pending_self(SGI_GROUP);
	gic_clear_pending(SGI_GROUP);
	check(p && taken_since(&m, 0) == 0,
	      "ICC_SGI0R_EL1 for SGI %u made Group 0: pending, and not taken as an IRQ", SGI_GROUP);
	write_sysreg(icc_asgi1r_el1, sgir_self(SGI_GROUP));
	isb();
	settle();
	p = sgi_pending_self(SGI_GROUP);
	gic_clear_pending(SGI_GROUP);
	check(p, "ICC_ASGI1R_EL1 for SGI %u in Group 0: pending", SGI_GROUP);
	write_sysreg(icc_sgi1r_el1, sgir_self(SGI_GROUP));
	isb();
	settle();
	p = sgi_pending_self(SGI_GROUP);
	gic_clear_pending(SGI_GROUP);
	check(p && taken_since(&m, 0) == 0, "ICC_SGI1R_EL1 for SGI %u in Group 0: pending",
	      SGI_GROUP);

	gic_set_group1(SGI_GROUP, true);
	gic_send_sgi(SGI_GROUP, self_mpidr());
	bool taken = wait_taken(&m, 0, SGI_GROUP);
	settle();
	check(taken && taken_since(&m, 0) == 1, "Group 1 again: ICC_SGI1R_EL1 delivers it, once");
}

/*
 * ICC_SGI1R_EL1's TargetList names Aff0 values RS * 16 + n within the cluster Aff3.Aff2.Aff1:
 * the bit for Aff0 1 reaches vCPU 1 only with the other fields matching its MPIDR.
 */
static void check_sgi_affinity(void)
{
	static const struct {
		uint64_t extra;
		const char *what;
	} miss[] = {{1ul << 16, "Aff1 1"},
		    {1ul << 32, "Aff2 1"},
		    {1ul << 48, "Aff3 1"},
		    {1ul << SGIR_RS_SHIFT, "RS 1 (Aff0 17)"}};
	uint64_t mpidr = vcpu1_mpidr();
	uint64_t base = ((uint64_t)SGI_ROUTE << 24) | (1u << (mpidr & 0xf));

	if (!check(field(mpidr, 8, 32) == 0 && field(mpidr, 0, 8) < 16,
		   "vCPU 1's MPIDR 0x%lx: Aff3.Aff2.Aff1 0, Aff0 below 16", mpidr))
		return;
	for (unsigned i = 0; i < sizeof(miss) / sizeof(miss[0]); i++) {
		struct mark m = mark();
		dsb_sy();
		write_sysreg(icc_sgi1r_el1, base | miss[i].extra);
		isb();
		settle();
		bool pend = mmio_read32(vcpu1_sgi_frame() + GICD_ISPENDR) & (1u << SGI_ROUTE);
		check(taken_since(&m, VCPU1) == 0 && !pend,
		      "ICC_SGI1R_EL1 TargetList bit 1 with %s: vCPU 1 took nothing (%u IRQs), not "
		      "pending",
		      miss[i].what, taken_since(&m, VCPU1));
	}
	struct mark m = mark();
	write_sysreg(icc_sgi1r_el1, base);
	isb();
	bool taken = wait_taken(&m, VCPU1, SGI_ROUTE);
	settle();
	check(taken && taken_since(&m, VCPU1) == 1,
	      "the same TargetList with Aff3.Aff2.Aff1 0 and RS 0: vCPU 1 took SGI %u once",
	      SGI_ROUTE);
}

static void check_sgi_vcpu1(void)
{
	struct mark m = mark();

	gic_send_sgi(SGI_OTHER, vcpu1_mpidr());
	bool taken = wait_taken(&m, VCPU1, SGI_OTHER);
	settle();
	check(taken && count_since(&m, VCPU1, SGI_OTHER) == 1 && taken_since(&m, VCPU1) == 1,
	      "SGI %u to Aff0 1: vCPU 1 took it once", SGI_OTHER);
	check_eq("IRQs vCPU 0 took meanwhile", taken_since(&m, 0), 0);

	m = mark();
	gic_send_sgi_others(SGI_ALL);
	taken = wait_taken(&m, VCPU1, SGI_ALL);
	settle();
	check(taken && count_since(&m, VCPU1, SGI_ALL) == 1 && taken_since(&m, VCPU1) == 1,
	      "SGI %u with IRM = 1 (all but self): vCPU 1 took it once", SGI_ALL);
	check_eq("IRQs the sender (vCPU 0) took from its IRM = 1 SGI", taken_since(&m, 0), 0);

	m = mark();
	gic_send_sgi_list(SGI_LIST, self_mpidr(), 0x3);
	taken = wait_taken(&m, 0, SGI_LIST) && wait_taken(&m, VCPU1, SGI_LIST);
	settle();
	check(taken && count_since(&m, 0, SGI_LIST) == 1 && count_since(&m, VCPU1, SGI_LIST) == 1,
	      "SGI %u with TargetList 0b11: each vCPU took it once", SGI_LIST);
}

/*
 * An interrupt made pending again while it is active becomes active and pending, and is taken
 * again once deactivated: whether the new edge comes from the handler itself, or from the
 * other vCPU while this one is still in its handler.
 */
static void check_resend_self(void)
{
	struct mark m = mark();

	reself_armed = 1;
	dsb_sy();
	gic_send_sgi(SGI_RESELF, self_mpidr());
	bool taken = wait_taken_n(&m, 0, SGI_RESELF, 2);
	settle();
	check(reself_active && reself_pending,
	      "in its handler, SGI %u is active (%s) and, sent again, pending (%s)", SGI_RESELF,
	      reself_active ? "yes" : "no", reself_pending ? "yes" : "no");
	check(taken && count_since(&m, 0, SGI_RESELF) == 2,
	      "SGI %u sent to self from its own handler: taken again after the EOI (%u times)",
	      SGI_RESELF, count_since(&m, 0, SGI_RESELF));
}

static uintptr_t vcpu1_sgi_frame(void)
{
	return gic_redist_find(vcpu1_mpidr()) + GICR_SGI_FRAME;
}

static void start_hold(unsigned intid)
{
	hold_state = 0;
	hold_release = 0;
	hold_intid = intid;
	dsb_sy();
}

static bool wait_held(void)
{
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;

	while (hold_state != 1)
		if (counter_now() > deadline)
			return false;
	return true;
}

static void end_hold(void)
{
	hold_release = 1;
	dsb_sy();
}

static void check_resend_sgi_vcpu1(void)
{
	uintptr_t frame = vcpu1_sgi_frame();
	uint32_t bit = 1u << SGI_HOLD;
	struct mark m = mark();

	start_hold(SGI_HOLD);
	gic_send_sgi(SGI_HOLD, vcpu1_mpidr());
	bool held = wait_held();
	uint32_t active = mmio_read32(frame + GICD_ISACTIVER) & bit;
	uint32_t pending = mmio_read32(frame + GICD_ISPENDR) & bit;
	gic_send_sgi(SGI_HOLD, vcpu1_mpidr());
	uint32_t pending2 = mmio_read32(frame + GICD_ISPENDR) & bit;
	end_hold();
	bool taken = wait_taken_n(&m, VCPU1, SGI_HOLD, 2);
	settle();
	hold_intid = GIC_INTID_SPURIOUS;
	if (!check(held, "vCPU 1 is in its handler for SGI %u", SGI_HOLD))
		return;
	check(active && !pending,
	      "vCPU 1's GICR_ISACTIVER0/ISPENDR0 read by vCPU 0 meanwhile: SGI %u active %u, "
	      "pending %u (expected 1, 0)",
	      SGI_HOLD, active != 0, pending != 0);
	check(pending2, "SGI %u sent again while vCPU 1 handles it: pending in its GICR_ISPENDR0",
	      SGI_HOLD);
	check(taken && count_since(&m, VCPU1, SGI_HOLD) == 2,
	      "vCPU 1 took SGI %u again after its EOI (%u times, expected 2)", SGI_HOLD,
	      count_since(&m, VCPU1, SGI_HOLD));
}

static void check_repend_spi_vcpu1(unsigned intid)
{
	struct mark m = mark();

	gic_route_spi(intid, vcpu1_mpidr());
	gic_enable(intid);
	start_hold(intid);
	gic_set_pending(intid);
	bool held = wait_held();
	gic_set_pending(intid);
	end_hold();
	bool taken = wait_taken_n(&m, VCPU1, intid, 2);
	settle();
	hold_intid = GIC_INTID_SPURIOUS;
	gic_disable(intid);
	gic_route_spi(intid, self_mpidr());
	if (!check(held, "vCPU 1 is in its handler for SPI %u", intid))
		return;
	check(taken && count_since(&m, VCPU1, intid) == 2,
	      "SPI %u pended through GICD_ISPENDR again while vCPU 1 handles it: taken again "
	      "(%u times, expected 2)",
	      intid, count_since(&m, VCPU1, intid));
}

/* Waits at most ticks for cpu to take intid since m. */
static bool wait_taken_within(const struct mark *m, unsigned cpu, unsigned intid, uint64_t ticks)
{
	uint64_t deadline = counter_now() + ticks;

	while (!count_since(m, cpu, intid))
		if (counter_now() > deadline)
			return false;
	return true;
}

/* vCPU 1 takes SPI_HOLD and stays in its handler (IRQs masked, no exits) until end_hold or
   a second. SPI_LR, routed to it and pended meanwhile, waits in one of its list registers. */
static bool hold_vcpu1_with_spi_lr(void)
{
	gic_route_spi(SPI_HOLD, vcpu1_mpidr());
	gic_enable(SPI_HOLD);
	start_hold(SPI_HOLD);
	gic_set_pending(SPI_HOLD);
	if (!check(wait_held(), "vCPU 1 is in its handler for SPI %u", SPI_HOLD))
		return false;
	gic_route_spi(SPI_LR, vcpu1_mpidr());
	gic_enable(SPI_LR);
	gic_set_pending(SPI_LR);
	delay_ticks(freq / 50); /* the kick has put it in vCPU 1's list register by now */
	return true;
}

static void end_hold_vcpu1(void)
{
	end_hold();
	delay_ticks(freq / 50);
	settle();
	hold_intid = GIC_INTID_SPURIOUS;
	gic_disable(SPI_HOLD);
	gic_disable(SPI_LR);
	gic_clear_pending(SPI_LR);
	gic_route_spi(SPI_HOLD, self_mpidr());
	gic_route_spi(SPI_LR, self_mpidr());
}

/*
 * An SPI routed elsewhere while it waits in vCPU 1's list register, vCPU 1 busy in a handler
 * with IRQs masked: the new target takes it at once, not when vCPU 1 next happens to exit.
 */
static void check_retarget_in_lr(void)
{
	struct mark m = mark();

	if (!hold_vcpu1_with_spi_lr())
		return;
	gic_route_spi(SPI_LR, self_mpidr());
	bool taken = wait_taken_within(&m, 0, SPI_LR, freq / 2);
	bool still_held = hold_state == 1;
	end_hold_vcpu1();
	check(taken && still_held,
	      "SPI %u routed from vCPU 1 (busy, its list register holding it) to vCPU 0: vCPU 0 "
	      "took it within 500 ms (%s, vCPU 1 %s)",
	      SPI_LR, taken ? "taken" : "not taken", still_held ? "still busy" : "done");
	check_eq("times vCPU 1 took it", count_since(&m, VCPU1, SPI_LR), 0);
}

/*
 * GICD_ICPENDR and GICD_ICACTIVER written by vCPU 0 for interrupts that sit in vCPU 1's list
 * registers: the clear holds. The pending SPI is never taken; the active one reads inactive,
 * and can be taken again before the handler that was running it ends.
 */
static void check_clear_in_lr(void)
{
	struct mark m = mark();

	if (!hold_vcpu1_with_spi_lr())
		return;
	gic_clear_pending(SPI_LR);
	mmio_write32(GICD_BASE + GICD_ICACTIVER + 4 * (SPI_HOLD / 32), 1u << (SPI_HOLD % 32));
	delay_ticks(freq / 50);
	bool pending = gic_is_pending(SPI_LR), active = gic_is_active(SPI_HOLD);
	end_hold_vcpu1();
	check(!pending && !active,
	      "vCPU 0 cleared SPI %u's pending and SPI %u's active state in vCPU 1's list "
	      "registers: they read pending %d, active %d (expected 0, 0)",
	      SPI_LR, SPI_HOLD, pending, active);
	check_eq("times vCPU 1 took the cleared SPI afterwards", count_since(&m, VCPU1, SPI_LR), 0);
}

/* IROUTER naming an affinity no vCPU has: the architecture forwards the SPI to no PE. It
   stays pending until routed to a vCPU, which then takes it once. */
static void check_irouter_nobody(void)
{
	struct mark m = mark();

	gic_route_spi(SPI_NOBODY, NO_VCPU_AFF);
	gic_enable(SPI_NOBODY);
	gic_set_pending(SPI_NOBODY);
	settle();
	bool pending = gic_is_pending(SPI_NOBODY);
	unsigned early = taken_since(&m, 0) + taken_since(&m, VCPU1);
	gic_route_spi(SPI_NOBODY, vcpu1_mpidr());
	bool taken = wait_taken(&m, VCPU1, SPI_NOBODY);
	settle();
	gic_disable(SPI_NOBODY);
	gic_route_spi(SPI_NOBODY, self_mpidr());
	check(pending && !early,
	      "SPI %u routed to affinity 0x%lx, which no vCPU has: pending %d, taken %u times "
	      "(expected pending, never taken)",
	      SPI_NOBODY, NO_VCPU_AFF, pending, early);
	check(taken && count_since(&m, VCPU1, SPI_NOBODY) == 1 && taken_since(&m, 0) == 0,
	      "routed to vCPU 1 afterwards: vCPU 1 took it once");
}

/*
 * vCPU 1 spins in the guest (spin_until_flag) while vCPU 0 sends it an SGI. Only kestrel's
 * kick, a physical SGI to vCPU 1's CPU, can make it exit and find the interrupt in a list
 * register: nothing else here would (no MMIO access by vCPU 0 meanwhile, as reading
 * GICR_ISPENDR0 of a running vCPU kicks it too).
 */
static void check_kick_running(void)
{
	struct mark m = mark();
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;

	spin_state = 0;
	spin_request = 1;
	gic_send_sgi(SGI_WAKE, vcpu1_mpidr()); /* out of its WFI, into its spin */
	while (spin_state != 1 && counter_now() < deadline)
		dmb_sy();
	if (!check(spin_state == 1, "vCPU 1 spins in the guest"))
		return;
	delay_ticks(freq / 50); /* well inside its loop, entered with nothing pending */
	uint64_t sent = counter_now();
	gic_send_sgi(SGI_SPIN, vcpu1_mpidr());
	deadline = counter_now() + WAIT_SECONDS * freq;
	while (spin_state != 2 && counter_now() < deadline)
		dmb_sy();
	uint64_t us = (counter_now() - sent) / (freq / 1000000);
	bool ended = spin_state == 2;
	check(ended && spin_flag && spin_loops < SPIN_LIMIT,
	      "SGI %u to vCPU 1 spinning on another CPU without exits: its handler ended the spin "
	      "(kicked out of the guest) within %lu us, after %lu iterations (limit %lu)",
	      SGI_SPIN, us, (uint64_t)spin_loops, SPIN_LIMIT);
	check(count_since(&m, VCPU1, SGI_SPIN) == 1, "vCPU 1 took SGI %u once", SGI_SPIN);
}

/* ---------------------------------------------------------------- register semantics */

static void check_enable_bits(unsigned intid)
{
	uintptr_t frame = gic_irq_frame(intid), off = 4 * (intid / 32);
	uint32_t bit = 1u << (intid % 32);
	uint32_t before = mmio_read32(frame + GICD_ISENABLER + off);

	check(!(before & bit), "INTID %u starts disabled", intid);
	gic_enable(intid);
	uint32_t set = mmio_read32(frame + GICD_ISENABLER + off);
	uint32_t cset = mmio_read32(frame + GICD_ICENABLER + off);
	check(set == (before | bit) && cset == set,
	      "%s_ISENABLER write of INTID %u: ISENABLER = 0x%x, ICENABLER = 0x%x (expected 0x%x)",
	      frame_name(intid), intid, set, cset, before | bit);
	gic_disable(intid);
	uint32_t clr = mmio_read32(frame + GICD_ISENABLER + off);
	uint32_t cclr = mmio_read32(frame + GICD_ICENABLER + off);
	check(clr == before && cclr == before,
	      "%s_ICENABLER write of INTID %u: ISENABLER = 0x%x, ICENABLER = 0x%x (expected 0x%x)",
	      frame_name(intid), intid, clr, cclr, before);
}

/* intid is disabled: pending is only state, nothing is delivered. */
static void check_pending_bits(unsigned intid)
{
	uintptr_t frame = gic_irq_frame(intid), off = 4 * (intid / 32);
	uint32_t bit = 1u << (intid % 32);
	struct mark m = mark();

	gic_set_pending(intid);
	uint32_t s = mmio_read32(frame + GICD_ISPENDR + off);
	uint32_t c = mmio_read32(frame + GICD_ICPENDR + off);
	check((s & bit) && (c & bit),
	      "%s_ISPENDR write of disabled INTID %u: ISPENDR = 0x%x, ICPENDR = 0x%x show it",
	      frame_name(intid), intid, s, c);
	settle();
	check_eq("IRQs taken while it is pending but disabled", taken_since(&m, 0), 0);
	gic_clear_pending(intid);
	s = mmio_read32(frame + GICD_ISPENDR + off);
	c = mmio_read32(frame + GICD_ICPENDR + off);
	check(!(s & bit) && !(c & bit),
	      "%s_ICPENDR write of INTID %u: ISPENDR = 0x%x, ICPENDR = 0x%x", frame_name(intid),
	      intid, s, c);
	gic_enable(intid);
	settle();
	gic_disable(intid);
	check_eq("IRQs taken after enabling it once no longer pending", taken_since(&m, 0), 0);
}

/* A pending, disabled interrupt waits; enabling it delivers it, once. */
static void check_enable_delivers(unsigned intid)
{
	struct mark m = mark();

	gic_set_pending(intid);
	settle();
	check(taken_since(&m, 0) == 0 && gic_is_pending(intid),
	      "INTID %u pending but disabled: not taken, still pending", intid);
	gic_enable(intid);
	bool taken = wait_taken(&m, 0, intid);
	settle();
	check(taken && count_since(&m, 0, intid) == 1 && taken_since(&m, 0) == 1,
	      "INTID %u enabled: taken once (%u IRQs)", intid, taken_since(&m, 0));
	check(!gic_is_pending(intid) && !gic_is_active(intid),
	      "INTID %u neither pending nor active after its EOI", intid);
	gic_disable(intid);
}

static void check_active_bits(unsigned intid)
{
	uintptr_t frame = gic_irq_frame(intid), off = 4 * (intid / 32);
	uint32_t bit = 1u << (intid % 32);
	struct mark m = mark();

	gic_set_active(intid);
	uint32_t s = mmio_read32(frame + GICD_ISACTIVER + off);
	uint32_t c = mmio_read32(frame + GICD_ICACTIVER + off);
	check((s & bit) && (c & bit),
	      "%s_ISACTIVER write of INTID %u: ISACTIVER = 0x%x, ICACTIVER = 0x%x",
	      frame_name(intid), intid, s, c);
	gic_clear_active(intid);
	s = mmio_read32(frame + GICD_ISACTIVER + off);
	c = mmio_read32(frame + GICD_ICACTIVER + off);
	check(!(s & bit) && !(c & bit),
	      "%s_ICACTIVER write of INTID %u: ISACTIVER = 0x%x, ICACTIVER = 0x%x",
	      frame_name(intid), intid, s, c);
	settle();
	check_eq("IRQs taken from setting and clearing active", taken_since(&m, 0), 0);
}

/* Four interrupts from first (a multiple of 4): byte writes, word reads, and back. */
static void check_priority_regs(unsigned first)
{
	uintptr_t reg = gic_irq_frame(first) + GICD_IPRIORITYR + first;
	bool bytes_ok = true;

	for (unsigned i = 0; i < 4; i++)
		gic_set_priority(first + i, (uint8_t)(0x10 * (i + 1)));
	uint32_t word = mmio_read32(reg);
	check(word == 0x40302010,
	      "%s_IPRIORITYR byte writes 0x10..0x40 to INTIDs %u-%u, word read = 0x%x",
	      frame_name(first), first, first + 3, word);

	mmio_write32(reg, 0x80706050);
	for (unsigned i = 0; i < 4; i++)
		if (gic_priority(first + i) != 0x50 + 0x10 * i)
			bytes_ok = false;
	check(bytes_ok, "%s_IPRIORITYR word write 0x80706050, byte reads = 0x%x 0x%x 0x%x 0x%x",
	      frame_name(first), gic_priority(first), gic_priority(first + 1),
	      gic_priority(first + 2), gic_priority(first + 3));
	mmio_write32(reg, GIC_PRIO_DEFAULT * 0x01010101u);
}

static void check_icfgr(unsigned intid)
{
	uintptr_t reg = GICD_BASE + GICD_ICFGR + 4 * (intid / 16);
	uint32_t before = mmio_read32(reg), mask = 2u << (2 * (intid % 16));

	gic_set_edge(intid, true);
	uint32_t edge = mmio_read32(reg);
	gic_set_edge(intid, false);
	uint32_t level = mmio_read32(reg);
	check(edge == (before | mask) && level == (before & ~mask),
	      "GICD_ICFGR%u for INTID %u: edge reads 0x%x, level reads 0x%x", intid / 16, intid,
	      edge, level);
}

static void check_irouter(unsigned intid)
{
	struct mark m = mark();

	gic_route_spi(intid, vcpu1_mpidr());
	uint64_t route = gic_spi_route(intid);
	check(route == vcpu1_mpidr(), "GICD_IROUTER%u = 0x%lx: vCPU 1's affinity", intid, route);
	gic_enable(intid);
	gic_set_pending(intid);
	bool taken = wait_taken(&m, VCPU1, intid);
	settle();
	check(taken && count_since(&m, VCPU1, intid) == 1,
	      "SPI %u routed to vCPU 1 and pended through GICD_ISPENDR: vCPU 1 took it once",
	      intid);
	check_eq("IRQs vCPU 0 took meanwhile", taken_since(&m, 0), 0);
	gic_disable(intid);
	gic_route_spi(intid, self_mpidr());
}

/* With GICD_CTLR.EnableGrp1 clear, nothing in Group 1 is forwarded. */
static void check_group_enable(unsigned intid)
{
	struct mark m = mark();

	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE);
	gic_enable(intid);
	gic_set_pending(intid);
	settle();
	check(taken_since(&m, 0) == 0,
	      "GICD_CTLR.EnableGrp1 = 0: pending, enabled SPI %u not taken", intid);
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
	bool taken = wait_taken(&m, 0, intid);
	settle();
	check(taken && count_since(&m, 0, intid) == 1,
	      "GICD_CTLR.EnableGrp1 = 1 again: SPI %u taken once", intid);
	gic_disable(intid);
}

/*
 * A level-sensitive SPI: the UART's transmit interrupt (raw status set once a character went
 * out) drives INTID 33 while UARTIMSC lets it through. Pending follows the line; an EOI with
 * the line still high brings the interrupt back.
 */
static void check_level_spi(void)
{
	uintptr_t uart = boot_info.uart_base;
	uint32_t bit = 1u << (SPI_UART % 32);
	struct mark m = mark();

	gic_set_edge(SPI_UART, false);
	uart_takes = 0;
	mmio_write32(uart + PL011_IMSC, PL011_INT_TX); /* raises the line: TX status is set */
	uint32_t pend = mmio_read32(GICD_BASE + GICD_ISPENDR + 4) & bit;
	gic_clear_pending(SPI_UART);
	uint32_t still = mmio_read32(GICD_BASE + GICD_ISPENDR + 4) & bit;
	settle();
	unsigned early = taken_since(&m, 0);
	gic_enable(SPI_UART);
	bool taken = wait_taken_n(&m, 0, SPI_UART, 2);
	settle();
	mmio_write32(uart + PL011_IMSC, 0);
	gic_disable(SPI_UART);
	uint32_t after = mmio_read32(GICD_BASE + GICD_ISPENDR + 4) & bit;

	check(pend, "UART TX interrupt unmasked: level-sensitive SPI %u pending while disabled",
	      SPI_UART);
	check(still, "GICD_ICPENDR does not clear it while its line is high");
	check_eq("IRQs taken while it is disabled", early, 0);
	check(taken && count_since(&m, 0, SPI_UART) == 2,
	      "enabled: taken, and again after an EOI with the line still high (%u times, "
	      "expected 2)",
	      count_since(&m, 0, SPI_UART));
	check(!after, "not pending once the handler lowered the line");
}

/* ---------------------------------------------------------------- priorities */

static void check_pmr(unsigned intid)
{
	struct mark m = mark();

	gic_set_priority(intid, 0xa0);
	gic_enable(intid);
	gic_set_pmr(0x80);
	check_eq("ICC_PMR_EL1 read back", gic_pmr(), 0x80);
	gic_set_pending(intid);
	settle();
	check(taken_since(&m, 0) == 0 && gic_is_pending(intid),
	      "PMR 0x80: pending SPI %u of priority 0xa0 not taken", intid);
	gic_set_priority(intid, 0x40);
	bool taken = wait_taken(&m, 0, intid);
	settle();
	check(taken && taken_since(&m, 0) == 1, "its priority set to 0x40: taken once");

	m = mark();
	gic_set_priority(intid, 0xa0);
	gic_set_pending(intid);
	settle();
	check(taken_since(&m, 0) == 0, "priority 0xa0 again, pending: not taken under PMR 0x80");
	gic_set_pmr(0xff);
	taken = wait_taken(&m, 0, intid);
	settle();
	check(taken && taken_since(&m, 0) == 1, "PMR 0xff: taken once");
	gic_disable(intid);
	gic_set_priority(intid, GIC_PRIO_DEFAULT);
}

/*
 * Twelve interrupts pending at once, three times as many as QEMU has list registers:
 * SGIs 0-7 and SPIs 45-48, made pending with IRQs masked, then taken in one go.
 */
#define MANY 12
static const unsigned many_intid[MANY] = {0, 1, 2, 3, 4, 5, 6, 7, 45, 46, 47, 48};
static const uint8_t many_prio[MANY] = {0xc0, 0xa0, 0x80, 0x60, 0xc0, 0xa0,
					0x80, 0x60, 0x40, 0x90, 0xb0, 0x70};

static uint8_t prio_of(unsigned intid)
{
	for (unsigned i = 0; i < MANY; i++)
		if (many_intid[i] == intid)
			return many_prio[i];
	return 0;
}

static void check_many_pending(void)
{
	uint32_t spi_bits = 0;

	irq_mask();
	for (unsigned i = 0; i < MANY; i++) {
		gic_set_priority(many_intid[i], many_prio[i]);
		if (many_intid[i] >= GIC_NR_PRIVATE) {
			gic_enable(many_intid[i]);
			spi_bits |= 1u << (many_intid[i] % 32);
		}
	}
	struct mark m = mark();
	for (unsigned i = 0; i < MANY; i++)
		if (many_intid[i] < GIC_NR_SGIS)
			gic_send_sgi(many_intid[i], self_mpidr());
	mmio_write32(GICD_BASE + GICD_ISPENDR + 4, spi_bits); /* all four SPIs in one write */
	settle();

	uint32_t sgi_pend = mmio_read32(gic_redist_sgi() + GICD_ISPENDR) & 0xff;
	uint32_t spi_pend = mmio_read32(GICD_BASE + GICD_ISPENDR + 4) & spi_bits;
	check(sgi_pend == 0xff && spi_pend == spi_bits,
	      "IRQs masked: SGIs 0-7 and SPIs 45-48 all pending (GICR_ISPENDR0 0x%x, "
	      "GICD_ISPENDR1 0x%x)",
	      sgi_pend, spi_pend);
	check_eq("IRQs taken while masked in PSTATE", taken_since(&m, 0), 0);

	irq_unmask();
	uint64_t deadline = counter_now() + WAIT_SECONDS * freq;
	while (taken_since(&m, 0) < MANY && counter_now() < deadline)
		;
	settle();
	irq_mask();

	unsigned n = taken_since(&m, 0);
	bool once = n == MANY, ordered = true;
	for (unsigned i = 0; i < MANY; i++)
		if (count_since(&m, 0, many_intid[i]) != 1)
			once = false;
	printf("taken in this order (INTID/priority):");
	for (unsigned i = 0; i < n && m.len[0] + i < LOG_MAX; i++) {
		unsigned intid = log_intid[0][m.len[0] + i];
		printf(" %u/0x%x", intid, prio_of(intid));
		if (i > 0 && prio_of(log_intid[0][m.len[0] + i - 1]) > prio_of(intid))
			ordered = false;
	}
	printf("\n");
	check(once, "all %u unmasked: each taken exactly once (%u IRQs)", MANY, n);
	check(ordered, "taken highest priority (lowest value) first");

	for (unsigned i = 0; i < MANY; i++) {
		gic_set_priority(many_intid[i], GIC_PRIO_DEFAULT);
		if (many_intid[i] >= GIC_NR_PRIVATE)
			gic_disable(many_intid[i]);
	}
	irq_unmask();
}

/* ---------------------------------------------------------------- timers */

static void check_timer(unsigned ppi, const char *name)
{
	struct mark m = mark();

	gic_enable(ppi);
	if (ppi == GIC_PPI_VIRT_TIMER) {
		write_sysreg(cntv_tval_el0, freq / 1000);
		write_sysreg(cntv_ctl_el0, CNT_CTL_ENABLE);
	} else {
		write_sysreg(cntp_tval_el0, freq / 1000);
		write_sysreg(cntp_ctl_el0, CNT_CTL_ENABLE);
	}
	isb();
	bool taken = wait_taken(&m, 0, ppi);
	settle();
	check(taken && count_since(&m, 0, ppi) == 1 && taken_since(&m, 0) == 1,
	      "%s timer armed 1 ms ahead: PPI %u taken once", name, ppi);
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	gic_disable(ppi);
}

/*
 * A timer's interrupt is a level: asserted while ENABLE && ISTATUS && !IMASK. Its pending bit
 * follows that level whether the PPI is enabled in the redistributor or not, and a timer that
 * fired and was then masked or turned off before the guest took its interrupt is not taken.
 */
static void timer_write(unsigned ppi, uint64_t cval, uint64_t ctl)
{
	if (ppi == GIC_PPI_VIRT_TIMER) {
		write_sysreg(cntv_cval_el0, cval);
		write_sysreg(cntv_ctl_el0, ctl);
	} else {
		/* CNTP compares with the physical count: CNTPCT = CNTVCT + CNTVOFF, and with
		   CVAL 0 or far ahead the offset does not matter. */
		write_sysreg(cntp_cval_el0, cval);
		write_sysreg(cntp_ctl_el0, ctl);
	}
	isb();
}

static bool ppi_pending(unsigned ppi)
{
	return mmio_read32(gic_redist_sgi() + GICD_ISPENDR) & (1u << ppi);
}

static void check_timer_level(unsigned ppi, const char *name)
{
	const uint64_t past = 0, future = ~0ul >> 1;
	struct mark m = mark();

	gic_disable(ppi);
	timer_write(ppi, past, CNT_CTL_ENABLE);
	bool due = ppi_pending(ppi);
	timer_write(ppi, past, CNT_CTL_ENABLE | CNT_CTL_IMASK);
	bool masked = ppi_pending(ppi);
	timer_write(ppi, past, 0);
	bool off = ppi_pending(ppi);
	timer_write(ppi, future, CNT_CTL_ENABLE);
	bool not_yet = ppi_pending(ppi);
	timer_write(ppi, past, CNT_CTL_ENABLE);
	delay_ticks(freq / 100);
	timer_write(ppi, past, 0);
	gic_enable(ppi);
	settle();
	check(due && !masked && !off && !not_yet,
	      "%s timer, PPI %u disabled: pending when due %d, masked %d, off %d, not yet due %d "
	      "(expected 1, 0, 0, 0)",
	      name, ppi, due, masked, off, not_yet);
	check_eq("times taken once enabled after the timer was turned off", count_since(&m, 0, ppi),
		 0);

	/* Enabled, fired while PSTATE masks IRQs (so it waits in a list register), then masked
	   at the timer before PSTATE lets it in: never taken. */
	m = mark();
	irq_mask();
	timer_write(ppi, past, CNT_CTL_ENABLE);
	delay_ticks(freq / 100);
	bool fired = ppi_pending(ppi);
	timer_write(ppi, past, CNT_CTL_ENABLE | CNT_CTL_IMASK);
	settle();
	bool after = ppi_pending(ppi);
	irq_unmask();
	settle();
	timer_write(ppi, past, 0);
	gic_disable(ppi);
	check(fired && !after,
	      "%s timer fired with IRQs masked, then masked at the timer: pending %d, then %d "
	      "(expected 1, 0)",
	      name, fired, after);
	check_eq("times taken after it was masked", count_since(&m, 0, ppi), 0);
}

/* ---------------------------------------------------------------- main */

int main(const void *dtb)
{
	(void)dtb;
	freq = counter_freq();

	check_distributor_id();
	if (!check(gic_dist_init(), "distributor initialised (GICD_CTLR = ARE | EnableGrp1)"))
		test_finish();
	check_distributor_enabled();
	check_spi_count();
	check_redistributor_frames();
	if (!check(gic_cpu_init(), "vCPU 0: redistributor found by MPIDR and awake"))
		test_finish();
	check_own_redistributor();
	check_waker_handshake();
	check_ppi_config(PPI_A);
	gic_set_irq_hook(irq_hook);
	mmio_write32(gic_redist_sgi() + GICD_ISENABLER, 0xffff); /* all SGIs */
	check_bit_register_widths(SPI_A);
	irq_unmask();

	check_sgi_self();
	check_sgi_groups();

	bool two =
	    check(boot_info.num_cpus >= 2, "DTB lists %u vCPUs, need 2", boot_info.num_cpus) &&
	    start_vcpu1();
	check_resend_self();
	if (two) {
		check_sgi_vcpu1();
		check_sgi_affinity();
		check_kick_running();
		check_resend_sgi_vcpu1();
		check_repend_spi_vcpu1(SPI_HOLD);
		check_retarget_in_lr();
		check_clear_in_lr();
		check_irouter_nobody();
	}

	check_enable_bits(SPI_A);
	check_enable_bits(PPI_A);
	check_pending_bits(SPI_A);
	check_pending_bits(PPI_A);
	gic_disable(SGI_PENDING);
	check_pending_bits(SGI_PENDING);
	check_enable_delivers(SPI_B);
	check_enable_delivers(PPI_B);
	check_enable_delivers(SGI_PENDING);
	gic_enable(SGI_PENDING);
	check_active_bits(SPI_C);
	check_active_bits(PPI_C);
	check_priority_regs(SPI_A);
	check_priority_regs(PPI_A);
	check_icfgr(SPI_A);
	if (two)
		check_irouter(SPI_ROUTED);
	check_group_enable(SPI_B);
	check_level_spi();

	check_pmr(SPI_MASKED);
	check_timer(GIC_PPI_VIRT_TIMER, "virtual");
	check_timer(GIC_PPI_PHYS_TIMER, "physical");
	check_timer_level(GIC_PPI_VIRT_TIMER, "virtual");
	check_timer_level(GIC_PPI_PHYS_TIMER, "physical");
	check_many_pending();

	if (two)
		stop_vcpu1();
	irq_mask();
	check_eq("spurious IRQs (ICC_IAR1_EL1 read 1020-1023)", gic_spurious_count(), 0);
	test_finish();
}
