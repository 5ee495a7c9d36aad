/*
 * reset: PSCI SYSTEM_RESET restarts only this VM, from its original images, with its memory
 * scrubbed. Nothing in the VM survives a reset; kestrel tells the guest which start this is in
 * /chosen/kestrel,boot-count. The first boot leaves a marker in RAM and resets; the second
 * checks the marker is gone and that its virtual counter started again near zero.
 */
#include "boot_info.h"
#include "check.h"
#include "fdt.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define MARKER 0x6b65737472656c21ull /* "kestrel!" */

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
	if (boots == 1) {
		printf("reset: first boot, leaving a marker at 0x%lx and resetting\n",
		       (uint64_t)(uintptr_t)marker);
		*marker = MARKER;
		psci_system_reset();
	}
	printf("reset: second boot\n");
	check_eq("marker left by the first boot, after the reset", *marker, 0);
	check(started < freq, "the virtual counter restarted near zero (%lu ms)",
	      started / (freq / 1000));
	test_finish();
}
