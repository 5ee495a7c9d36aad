/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm: two VMs exchange messages through a kestrel shared-memory region, each message
 * announced with a doorbell, which raises the region's interrupt in the peer: odd-numbered
 * ones with the doorbell hypercall, even-numbered ones with a write to the region's doorbell
 * register (the node's second reg entry). The VM booted with "role=ping" sends 1000 numbered
 * messages and checks every reply and the count of rings its doorbell register shows; the one
 * with "role=pong" answers messages= of them (default 1000: a Linux ping sends fewer). Both
 * run with the MMU off, so the shared page is accessed uncached and stays coherent between
 * them. With "expect=none" it checks instead that it has no region (its peer was refused).
 */
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "fdt.h"
#include "gic.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define MESSAGES      1000
#define DOORBELL_CALL 0x86000001u
#define PONG_READY    0x706f6e67u /* "pong" */

struct mailbox {
	volatile uint32_t pong_ready;
	volatile uint32_t ping_seq, ping_data;
	volatile uint32_t pong_seq, pong_data;
};

static struct mailbox *box;

static unsigned region, intid;
static volatile unsigned doorbells;
/* The region's doorbell registers: ring (write), rings received (read). */
static volatile uint32_t *bell;

static void on_irq(unsigned id)
{
	if (id == intid)
		doorbells++;
}

/* The region's node: reg, interrupts and kestrel,region. */
static bool find_region(const void *dtb)
{
	struct fdt fdt;
	int depth = 0;

	if (!fdt_open(&fdt, dtb))
		return false;
	for (int off = fdt_next_node(&fdt, -1, &depth); off >= 0;
	     off = fdt_next_node(&fdt, off, &depth)) {
		uint32_t len;
		const void *compat = fdt_getprop(&fdt, off, "compatible", &len);
		const void *reg, *irq, *id;
		uint64_t base, size, bell_pa;
		if (!compat || !fdt_stringlist_contains(compat, len, "kestrel,shared-memory"))
			continue;
		irq = fdt_getprop(&fdt, off, "interrupts", &len);
		id = fdt_getprop(&fdt, off, "kestrel,region", &len);
		reg = fdt_getprop(&fdt, off, "reg", &len);
		if (!reg || !irq || !id)
			return false;
		if (len < 32)
			return false;
		fdt_read_cells(fdt_read_cells(fdt_read_cells(reg, 2, &base), 2, &size), 2,
			       &bell_pa);
		box = (struct mailbox *)(uintptr_t)base;
		bell = (volatile uint32_t *)(uintptr_t)bell_pa;
		intid = 32 + fdt_cell((const uint32_t *)irq + 1);
		region = fdt_cell(id);
		return true;
	}
	return false;
}

/* Rings the peer: by hypercall (its result) or by the register (0). */
static int64_t ring(bool by_register)
{
	struct smccc_result res;

	__asm__ __volatile__("dsb sy" ::: "memory");
	/* An SMC32 call: the region is W1, whatever X1's upper half holds. */
	if (!by_register)
		return smccc_call(DOORBELL_CALL, 0xd00dbe1100000000ull | region, 0, 0, &res);
	bell[0] = 1;
	return 0;
}

/*
 * Sleeps until cond holds, waking on doorbells; false after the given seconds of counter time. The
 * check and the WFI happen with IRQs masked: a doorbell arriving in between stays pending and ends
 * the WFI, instead of being taken before it and leaving the WFI to sleep for ever.
 */
static bool wait_for(bool (*cond)(uint32_t), uint32_t arg, unsigned seconds)
{
	uint64_t limit = counter_now() + seconds * counter_freq();
	bool met;

	for (;;) {
		irq_mask();
		met = cond(arg);
		if (met || counter_now() > limit)
			break;
		__asm__ __volatile__("wfi" ::: "memory");
		irq_unmask();
	}
	irq_unmask();
	return met;
}

static bool pong_is_ready(uint32_t unused)
{
	(void)unused;
	return box->pong_ready == PONG_READY;
}

static bool reply_arrived(uint32_t seq)
{
	return box->pong_seq == seq;
}

static bool request_arrived(uint32_t last)
{
	return box->ping_seq != last;
}

static void ping(void)
{
	unsigned ok = 0;

	check(wait_for(pong_is_ready, 0, 10), "the peer is ready");
	for (uint32_t seq = 1; seq <= MESSAGES; seq++) {
		box->ping_data = seq * 3;
		box->ping_seq = seq;
		if (ring(seq % 2 == 0) != 0 || !wait_for(reply_arrived, seq, 10))
			break;
		ok += box->pong_data == seq * 3 + 1;
	}
	check_eq("replies right out of 1000 messages", ok, MESSAGES);
	printf("shm: %u messages exchanged, %u doorbells received\n", ok, doorbells);
	/* pong rang once per reply, and once when ready if this VM was running by then */
	uint32_t received = bell[1];
	check(received == MESSAGES || received == MESSAGES + 1,
	      "the doorbell register counts every ring received (%u)", received);
	check(doorbells > 0 && doorbells <= received, "doorbell interrupts taken (%u)", doorbells);
}

static void pong(void)
{
	uint32_t last = 0, messages = (uint32_t)bootarg("messages", MESSAGES);

	box->pong_ready = PONG_READY;
	ring(false); /* the peer may already sleep in WFI, waiting for this */
	/* a Linux peer boots first: a minute for its first message */
	while (last < messages && wait_for(request_arrived, last, last ? 10 : 60)) {
		last = box->ping_seq;
		box->pong_data = box->ping_data + 1;
		box->pong_seq = last;
		if (ring(last % 2 == 0) != 0)
			break;
	}
	check_eq("requests answered", last, messages);
}

/* The doorbell registers take 32-bit reads of the count and writes of the ring word only: the
   rest is an external abort. */
static void check_bad_doorbell_accesses(void)
{
	volatile uint64_t *bell64 = (volatile uint64_t *)(uintptr_t)bell;
	unsigned aborts = 0;

	exception_expect(0);
	(void)bell[0]; /* a read of the ring word */
	aborts += exception_expect_end();
	exception_expect(0);
	bell[1] = 1; /* a write of the count */
	aborts += exception_expect_end();
	exception_expect(0);
	bell64[0] = 1; /* a 64-bit ring */
	aborts += exception_expect_end();
	check_eq("bad doorbell register accesses that aborted, of 3", aborts, 3);
}

int main(const void *dtb)
{
	bool is_ping = bootargs_has("role=ping");

	/* A peer refused at build takes the region with it: nothing of it is left here. */
	if (bootargs_has("expect=none")) {
		check(!find_region(dtb), "no shared region in the device tree");
		check_eq("doorbell of region 0, which this VM is no member of",
			 (uint64_t)smccc_call(DOORBELL_CALL, 0, 0, 0, &(struct smccc_result){0}),
			 (uint64_t)-2);
		test_finish();
	}
	if (!check(find_region(dtb), "shared region in the device tree"))
		test_finish();
	printf("shm: %s, region %u at 0x%lx, doorbell INTID %u\n", is_ping ? "ping" : "pong",
	       region, (uint64_t)(uintptr_t)box, intid);
	check(gic_dist_init() && gic_cpu_init(), "GIC set up");
	gic_set_irq_hook(on_irq);
	gic_set_edge(intid, true);
	gic_route_spi(intid, read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK);
	gic_enable(intid);
	irq_unmask();
	check_eq("doorbell to a region this VM is not in",
		 (uint64_t)smccc_call(DOORBELL_CALL, 7, 0, 0, &(struct smccc_result){0}),
		 (uint64_t)-2);
	check_bad_doorbell_accesses();
	if (is_ping)
		ping();
	else
		pong();
	test_finish();
}
