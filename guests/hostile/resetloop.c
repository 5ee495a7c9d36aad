/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resetloop: a VM that resets itself again and again (PSCI SYSTEM_RESET), each boot first
 * touching mib= MiB of its RAM, so that kestrel has that much to zero (on the next boot's first
 * touch, or at the stop) and its image to copy every time, until the physical counter passes
 * until-ms (CNTPCT_EL0: the VM's virtual counter starts again at every boot). Each boot checks it
 * is a fresh one: the marker the last boot left in RAM is gone. Beside a victim on the same CPU,
 * kestrel's work for these resets must not take the victim's share (hostile-resetloop.dts). Its
 * last boot prints "HOSTILE: resetloop resets N scrubbed-mib M".
 */
#include "alternate.h"
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "printf.h"
#include "smccc.h"
#include "sysreg.h"

#define MARKER	   0x7265736574212121ull /* "reset!!!" */
#define AREA_START (8ull << 20)		 /* clear of the image; the DTB is in the last 2 MiB */
#define PAGE	   4096

int main(const void *dtb)
{
	uint64_t until_ms = bootarg("until-ms", 6500), mib = bootarg("mib", 32);
	uint64_t phys_ms, base = boot_info.mem_base + AREA_START, size = mib << 20;
	(void)dtb;

	/* With alternate-ms=, a boot that begins in a quiet window waits for the next attack
	   window before it touches its RAM and resets. */
	if (!check(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	alternate_init();
	alternate_rest();
	phys_ms = read_sysreg(cntpct_el0) / (counter_freq() / 1000);

	if (!check(AREA_START + size + (2ull << 20) <= boot_info.mem_size,
		   "mib=%lu fits in its %lu MiB", mib, boot_info.mem_size >> 20))
		test_finish();
	for (uint64_t off = 0; off < size; off += PAGE)
		if (*(volatile uint64_t *)(base + off) != 0) {
			check(false, "boot %u: RAM at 0x%lx was not scrubbed", boot_info.boot_count,
			      base + off);
			test_finish();
		}
	if (phys_ms < until_ms) {
		for (uint64_t off = 0; off < size; off += PAGE)
			*(volatile uint64_t *)(base + off) = MARKER;
		psci_system_reset();
	}
	printf("HOSTILE: resetloop resets %u scrubbed-mib %lu\n", boot_info.boot_count - 1,
	       (boot_info.boot_count - 1) * mib);
	check(boot_info.boot_count > 1, "it reset itself: %u boots, each with %lu MiB scrubbed",
	      boot_info.boot_count, mib);
	test_finish();
}
