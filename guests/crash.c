/*
 * crash: a guest whose exception vectors point at memory it does not have. Its next exception
 * faults again at the vector, and again: it can never handle it. kestrel must see the loop,
 * treat the VM as crashed (its on-crash policy), and leave every other VM alone.
 */
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

int main(const void *dtb)
{
	(void)dtb;
	printf("crash: vectors moved to unmapped IPA 0, taking an exception\n");
	write_sysreg(vbar_el1, 0);
	isb();
	__asm__ __volatile__("udf #0");
	printf("crash: still running, which should not happen\n");
	for (;;)
		;
}
