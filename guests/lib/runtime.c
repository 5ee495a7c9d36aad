/* SPDX-License-Identifier: Apache-2.0 */
#include "boot_info.h"
#include "runtime.h"
#include "smccc.h"
#include "uart.h"

void runtime_init(const void *dtb)
{
	boot_info_parse(dtb);
	uart_set_base(boot_info.uart_base);
}

__attribute__((weak)) void secondary_main(uint64_t context)
{
	(void)context;
	psci_cpu_off();
}
