/* The physical PL011: polled transmit and receive, the firmware's line settings kept. */
#include <kestrel/drivers.h>

#define UARTDR	 0x00
#define UARTFR	 0x18
#define UARTIMSC 0x38
#define IMSC_RX	 BIT(4)
#define IMSC_RT	 BIT(6)
#define FR_RXFE	 BIT(4)
#define FR_TXFF	 BIT(5)

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
		uart[UARTIMSC / 4] |= IMSC_RX | IMSC_RT;
}

int pl011_getc(void)
{
	if (!uart || (uart[UARTFR / 4] & FR_RXFE))
		return -1;
	return (int)(uart[UARTDR / 4] & 0xff);
}
