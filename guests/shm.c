/*
 * shm: two VMs exchange messages through a kestrel shared-memory region, each message
 * announced with the doorbell hypercall, which raises the region's interrupt in the peer.
 * The VM booted with "role=ping" sends 1000 numbered messages and checks every reply; the
 * one with "role=pong" answers each. Both run with the MMU off, so the shared page is
 * accessed uncached and stays coherent between them.
 */
#include "boot_info.h"
#include "check.h"
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

static bool contains(const char *hay, const char *needle)
{
	for (; *hay; hay++) {
		const char *h = hay, *n = needle;
		while (*n && *h == *n)
			h++, n++;
		if (!*n)
			return true;
	}
	return false;
}

static unsigned region, intid;
static volatile unsigned doorbells;

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
		uint64_t base;
		if (!compat || !fdt_stringlist_contains(compat, len, "kestrel,shared-memory"))
			continue;
		reg = fdt_getprop(&fdt, off, "reg", &len);
		irq = fdt_getprop(&fdt, off, "interrupts", &len);
		id = fdt_getprop(&fdt, off, "kestrel,region", &len);
		if (!reg || !irq || !id)
			return false;
		fdt_read_cells(reg, 2, &base);
		box = (struct mailbox *)(uintptr_t)base;
		intid = 32 + fdt_cell((const uint32_t *)irq + 1);
		region = fdt_cell(id);
		return true;
	}
	return false;
}

static int64_t ring(void)
{
	struct smccc_result res;

	__asm__ __volatile__("dsb sy" ::: "memory");
	return smccc_call(DOORBELL_CALL, region, 0, 0, &res);
}

/*
 * Sleeps until cond holds, waking on doorbells; false after 10 s of counter time. The check and
 * the WFI happen with IRQs masked: a doorbell arriving in between stays pending and ends the WFI,
 * instead of being taken before it and leaving the WFI to sleep for ever.
 */
static bool wait_for(bool (*cond)(uint32_t), uint32_t arg)
{
	uint64_t limit = counter_now() + 10 * counter_freq();
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

	check(wait_for(pong_is_ready, 0), "the peer is ready");
	for (uint32_t seq = 1; seq <= MESSAGES; seq++) {
		box->ping_data = seq * 3;
		box->ping_seq = seq;
		if (ring() != 0 || !wait_for(reply_arrived, seq))
			break;
		ok += box->pong_data == seq * 3 + 1;
	}
	check_eq("replies right out of 1000 messages", ok, MESSAGES);
	printf("shm: %u messages exchanged, %u doorbells received\n", ok, doorbells);
}

static void pong(void)
{
	uint32_t last = 0;

	box->pong_ready = PONG_READY;
	ring(); /* the peer may already sleep in WFI, waiting for this */
	while (last < MESSAGES && wait_for(request_arrived, last)) {
		last = box->ping_seq;
		box->pong_data = box->ping_data + 1;
		box->pong_seq = last;
		if (ring() != 0)
			break;
	}
	check_eq("requests answered", last, MESSAGES);
}

int main(const void *dtb)
{
	bool is_ping = contains(boot_info.bootargs, "role=ping");

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
	if (is_ping)
		ping();
	else
		pong();
	test_finish();
}
