/*
 * reset: PSCI SYSTEM_RESET restarts only this VM, from its original images, with its memory
 * scrubbed. Nothing in the VM survives a reset, so the guest tells its two boots apart by the
 * one thing kestrel changes: the virtual counter offset (physical minus virtual count) grows
 * with the time that passed before the restart. The first boot leaves a marker in RAM, sleeps
 * until its counter passes RESET_AFTER_MS and resets; the second boot checks the marker is
 * gone.
 */
#include "boot_info.h"
#include "check.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define RESET_AFTER_MS 200		     /* default; bootargs "reset-after-ms=N" changes it */
#define MARKER	       0x6b65737472656c21ull /* "kestrel!" */

/* "reset-after-ms=N" in the bootargs: N must exceed the time kestrel takes to start the VM. */
static uint64_t reset_after_ms(void)
{
	static const char key[] = "reset-after-ms=";
	const char *s = boot_info.bootargs;

	for (; *s; s++) {
		unsigned i = 0;
		while (key[i] && s[i] == key[i])
			i++;
		if (!key[i]) {
			uint64_t v = 0;
			for (s += i; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (uint64_t)(*s - '0');
			return v;
		}
	}
	return RESET_AFTER_MS;
}

int main(const void *dtb)
{
	uint64_t freq = counter_freq(), after_ms = reset_after_ms();
	uint64_t offset = read_sysreg(cntpct_el0) - counter_now();
	volatile uint64_t *marker =
	    (volatile uint64_t *)(uintptr_t)(boot_info.mem_base + boot_info.mem_size / 2);
	(void)dtb;

	if (offset < freq / 1000 * after_ms) {
		printf("reset: first boot, leaving a marker at 0x%lx and resetting\n",
		       (uint64_t)(uintptr_t)marker);
		*marker = MARKER;
		/* Under -icount the counter counts instructions: spinning is exact and short. */
		while (counter_now() < freq / 1000 * (after_ms + 10))
			;
		psci_system_reset();
	}
	printf("reset: second boot (counter offset %lu ms)\n", offset / (freq / 1000));
	check_eq("marker left by the first boot, after the reset", *marker, 0);
	check(counter_now() < offset, "the virtual counter restarted near zero");
	test_finish();
}
