/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crash: a guest whose exception vectors point at memory it does not have. Its next exception
 * faults again at the vector, and again: it can never handle it. kestrel must see the loop,
 * treat the VM as crashed (its on-crash policy), and leave every other VM alone.
 *
 * Only its first start crashes (/chosen/kestrel,boot-count = 1). Started again, by its
 * on-crash = "restart" policy or from kestrel's console, it says so and sleeps until kestrel's
 * console stops or restarts it.
 */
#include "boot_info.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

int main(const void *dtb)
{
	(void)dtb;
	if (boot_info.boot_count > 1) {
		printf("crash: start %u, not crashing again; waiting to be stopped\n",
		       boot_info.boot_count);
		for (;;)
			__asm__ __volatile__("wfi" ::: "memory");
	}
	printf("crash: vectors moved to unmapped IPA 0, taking an exception\n");
	write_sysreg(vbar_el1, 0);
	isb();
	__asm__ __volatile__("udf #0");
	printf("crash: still running, which should not happen\n");
	for (;;)
		;
}
