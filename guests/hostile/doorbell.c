/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doorbell: a VM that rings the doorbell of a shared region (region 0, kestrel's vendor
 * hypervisor call 0x86000001) as fast as it can for ring-ms= milliseconds (default 6000). Each
 * ring raises the region's interrupt in the other member, the victim, which never enables it:
 * once it is pending, a ring changes nothing, and must cost the victim nothing (no interrupt
 * sent to its CPU, no lock it waits for). With busy-ms=M it then computes until M ms after it
 * started, so that the victim's rate alone is measured with this CPU as busy as before.
 *
 * With alternate-ms=A it rings only in the even windows of A ms of the physical count, for the
 * victim to compare (guests/lib/alternate.h). Prints "HOSTILE: doorbell rings R errors E"
 * (calls that did not return 0).
 */
#include "alternate.h"
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"

#define DOORBELL_CALL 0x86000001u

int main(const void *dtb)
{
	uint64_t ring_ms = bootarg("ring-ms", 6000), busy_ms = bootarg("busy-ms", 0);
	uint64_t start = ms_now(), rings = 0, errors = 0;
	(void)dtb;

	if (!check(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	alternate_init();
	while (ms_now() - start < ring_ms) {
		/* With alternate-ms=, the quiet windows compute without ringing: the host's load
		   stays the same, only the rings come and go. */
		if (alternate_quiet())
			continue;
		for (unsigned i = 0; i < 64; i++)
			if (smccc_call(DOORBELL_CALL, 0, 0, 0, NULL) != 0)
				errors++;
		rings += 64;
	}
	printf("HOSTILE: doorbell rings %lu errors %lu\n", rings, errors);
	while (ms_now() - start < busy_ms)
		;
	check(rings > 0 && errors == 0, "%lu rings, every one accepted", rings);
	test_finish();
}
