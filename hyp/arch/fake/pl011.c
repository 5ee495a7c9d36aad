/* SPDX-License-Identifier: Apache-2.0 */
/* kestrel's UART on the host: output kept for a test to read, input a test gives. */
#include <kestrel/pl011.h>

#include <arch/fake_drivers.h>

void pl011_init(paddr_t base)
{
	(void)base;
}

void pl011_putc(char c)
{
	if (fake_drivers.uart_len < FAKE_UART_MAX - 1)
		fake_drivers.uart_out[fake_drivers.uart_len++] = c;
	if (fake_drivers.uart_observer)
		fake_drivers.uart_observer(c);
}

int pl011_getc(void)
{
	if (!fake_drivers.uart_in || !*fake_drivers.uart_in)
		return -1;
	return (unsigned char)*fake_drivers.uart_in++;
}

void pl011_enable_rx_irq(void)
{
	fake_drivers.uart_rx_irq = true;
}
