/* SPDX-License-Identifier: Apache-2.0 */
/* hello: the smallest guest. Shows what it learnt from the device tree and powers off. */
#include "boot_info.h"
#include "check.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

extern char _start[];
/* A data word the linker fills: where the image is linked to run, whatever address it runs at. */
static char *const volatile linked_start = _start;

int main(const void *dtb)
{
	/* PC-relative: where the image was actually loaded. */
	uintptr_t loaded = (uintptr_t)_start;

	printf("hello from a kestrel guest\n");
	printf("dtb at 0x%lx\n", (uint64_t)(uintptr_t)dtb);
	printf("memory: base 0x%lx size 0x%lx (%lu MiB)\n", boot_info.mem_base, boot_info.mem_size,
	       boot_info.mem_size >> 20);
	printf("bootargs: \"%s\"\n", boot_info.bootargs);
	/* Its code is mostly position independent: a test can see where it was placed. */
	printf("image at 0x%lx, linked for 0x%lx\n", (uint64_t)loaded,
	       (uint64_t)(uintptr_t)linked_start);
	printf("MPIDR_EL1 = 0x%lx\n", read_sysreg(mpidr_el1));

	check(boot_info.dtb_valid, "device tree found");
	check(boot_info.mem_size != 0, "memory node found");
	check(boot_info.uart_in_dtb, "PL011 found in the device tree at 0x%lx",
	      boot_info.uart_base);
	test_finish();
}
