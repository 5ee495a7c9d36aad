/* SPDX-License-Identifier: Apache-2.0 */
/* Polled PL011 output: wait while the transmit FIFO is full, then write the data register. */
#include "uart.h"
#include "mmio.h"
#include "pl011.h"

/* Usable before the device tree is read, so early failures can still be reported. */
static uintptr_t base = PL011_DEFAULT_BASE;

void uart_set_base(uintptr_t new_base)
{
	base = new_base;
}

uintptr_t uart_base(void)
{
	return base;
}

void uart_putc(char c)
{
	while (mmio_read32(base + PL011_FR) & PL011_FR_TXFF)
		;
	mmio_write32(base + PL011_DR, (uint8_t)c);
}
