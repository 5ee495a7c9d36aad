/* SPDX-License-Identifier: Apache-2.0 */
/* kestrel's own UART, a PL011 (pl011.c). */
#ifndef KESTREL_PL011_H
#define KESTREL_PL011_H

#include <kestrel/types.h>

void pl011_init(paddr_t base);
void pl011_putc(char c);
int pl011_getc(void); /* -1 when no input is waiting */
void pl011_enable_rx_irq(void);

#endif
