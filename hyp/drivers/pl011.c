/* SPDX-License-Identifier: Apache-2.0 */
/* The physical PL011: polled transmit and receive, the firmware's line settings kept. */
#include <kestrel/pl011.h>
#include <kestrel/pl011_regs.h>

static volatile uint32_t *uart;

void pl011_init(paddr_t base)
{
	uart = (volatile uint32_t *)(uintptr_t)base;
}

void pl011_putc(char c)
{
	if (!uart)
		return;
	while (uart[UARTFR / 4] & FR_TXFF)
		;
	uart[UARTDR / 4] = (uint8_t)c;
}

void pl011_enable_rx_irq(void)
{
	if (uart)
		uart[UARTIMSC / 4] |= INT_RX | INT_RT;
}

int pl011_getc(void)
{
	if (!uart || (uart[UARTFR / 4] & FR_RXFE))
		return -1;
	return (int)(uart[UARTDR / 4] & 0xff);
}
