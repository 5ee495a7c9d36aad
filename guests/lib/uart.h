/* SPDX-License-Identifier: Apache-2.0 */
/* Console output through the PL011 found in the device tree. */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include <stdint.h>

void uart_set_base(uintptr_t base);
uintptr_t uart_base(void);
void uart_putc(char c);

#endif
