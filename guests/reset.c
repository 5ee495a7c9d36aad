/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reset: PSCI SYSTEM_RESET restarts only this VM, from its original images, with its memory
 * scrubbed. Nothing in the VM survives a reset; kestrel tells the guest which start this is in
 * /chosen/kestrel,boot-count. Each boot checks its virtual counter started near zero (CNTVOFF
 * is the VM's start) and that a variable of the image's .data holds its initial value. The
 * first boot then changes that variable, leaves a marker in RAM, lets its counter run past
 * what the second boot accepts, and resets; the second checks the marker is gone and the
 * variable is back: the image was loaded again, not merely left in memory.
 */
#include "boot_info.h"
#include "check.h"
#include "fdt.h"
#include "gic.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define MARKER		0x6b65737472656c21ull /* "kestrel!" */
#define DATA_MAGIC	0x696d6167652e6461ull /* "image.da" */
#define NEAR_ZERO_MS	1000		      /* the counter at main, at most */
#define CNTV_CTL_ENABLE (1ul << 0)

/* Initialised, so in .data: its value comes from the image file. */
static volatile uint64_t image_data = DATA_MAGIC;

/* Waits in WFI for the virtual timer (quick under -icount, where idle time is skipped). */
static void sleep_until(uint64_t count)
{
	bool timer = gic_dist_init() && gic_cpu_init();

	irq_mask(); /* the pending PPI only ends the WFI; it is never taken */
	if (timer)
		gic_enable(GIC_PPI_VIRT_TIMER);
	write_sysreg(cntv_cval_el0, count);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
	while (counter_now() < count)
		if (timer)
			__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
	write_sysreg(cntv_ctl_el0, 0);
	isb();
}

/* /chosen/kestrel,boot-count, or 0 if kestrel did not say. */
static uint32_t boot_count(const void *dtb)
{
	struct fdt fdt;
	int depth = 0;

	if (!fdt_open(&fdt, dtb))
		return 0;
	for (int off = fdt_next_node(&fdt, -1, &depth); off >= 0;
	     off = fdt_next_node(&fdt, off, &depth)) {
		uint32_t len;
		const void *p;
		const char *name = fdt_node_name(&fdt, off), *want = "chosen";
		while (name && *want && *name == *want)
			name++, want++;
		if (depth != 1 || !name || *name || *want)
			continue; /* only /chosen */
		p = fdt_getprop(&fdt, off, "kestrel,boot-count", &len);
		return p && len == 4 ? fdt_cell(p) : 0;
	}
	return 0;
}

int main(const void *dtb)
{
	uint64_t freq = counter_freq(), started = counter_now();
	uint32_t boots = boot_count(dtb);
	volatile uint64_t *marker =
	    (volatile uint64_t *)(uintptr_t)(boot_info.mem_base + boot_info.mem_size / 2);

	if (!check(boots == 1 || boots == 2, "kestrel,boot-count = %u", boots))
		test_finish();
	/* A failure on the first boot ends the test there: nothing survives the reset. */
	if (!check(started < NEAR_ZERO_MS * (freq / 1000),
		   "boot %u: CNTVCT_EL0 at main = %lu ms, near zero (under %u ms)", boots,
		   started / (freq / 1000), NEAR_ZERO_MS) ||
	    !check(image_data == DATA_MAGIC, "boot %u: .data variable = 0x%lx, as in the image",
		   boots, image_data))
		test_finish();
	if (boots == 1) {
		image_data = ~DATA_MAGIC;
		printf("reset: first boot, leaving a marker at 0x%lx, changing the .data variable "
		       "and resetting\n",
		       (uint64_t)(uintptr_t)marker);
		*marker = MARKER;
		/* Past the limit: a counter that went on from here would fail the second boot. */
		sleep_until(2 * NEAR_ZERO_MS * (freq / 1000));
		psci_system_reset();
	}
	printf("reset: second boot\n");
	check_eq("marker left by the first boot, after the reset", *marker, 0);
	test_finish();
}
