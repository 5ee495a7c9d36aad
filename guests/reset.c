/*
 * reset: PSCI SYSTEM_RESET restarts only this VM, from its original images, with its memory
 * scrubbed. Nothing in the VM survives a reset, so the guest tells its two boots apart by the
 * one thing kestrel changes: the virtual counter offset (physical minus virtual count) grows
 * with the time that passed before the restart. The first boot leaves a marker in RAM, sleeps
 * past RESET_AFTER_MS and resets; the second boot checks the marker is gone.
 */
#include "boot_info.h"
#include "check.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define RESET_AFTER_MS 500
#define MARKER	       0x6b65737472656c21ull /* "kestrel!" */
#define CNTV_ENABLE    1ul

int main(const void *dtb)
{
	uint64_t freq = counter_freq();
	uint64_t offset = read_sysreg(cntpct_el0) - counter_now();
	volatile uint64_t *marker =
	    (volatile uint64_t *)(uintptr_t)(boot_info.mem_base + boot_info.mem_size / 2);
	(void)dtb;

	if (offset < freq / 1000 * RESET_AFTER_MS) {
		printf("reset: first boot, leaving a marker at 0x%lx and resetting\n",
		       (uint64_t)(uintptr_t)marker);
		*marker = MARKER;
		/* Let the counter pass the threshold cheaply: sleep on the virtual timer. */
		__asm__ __volatile__("msr daifset, #2" : : : "memory");
		write_sysreg(cntv_cval_el0, counter_now() + freq / 1000 * (RESET_AFTER_MS + 10));
		write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
		isb();
		while (counter_now() < freq / 1000 * (RESET_AFTER_MS + 10))
			__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
		psci_system_reset();
	}
	printf("reset: second boot (counter offset %lu ms)\n", offset / (freq / 1000));
	check_eq("marker left by the first boot, after the reset", *marker, 0);
	check(counter_now() < offset, "the virtual counter restarted near zero");
	test_finish();
}
