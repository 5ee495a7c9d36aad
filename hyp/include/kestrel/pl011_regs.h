/* SPDX-License-Identifier: Apache-2.0 */
/* Arm PL011 UART register offsets and bits (Arm DDI 0183), for the driver of the machine's
   UART (drivers/pl011.c) and the guests' emulated one (vdev/vpl011.c). */
#ifndef KESTREL_PL011_REGS_H
#define KESTREL_PL011_REGS_H

#include <kestrel/types.h>

#define UARTDR	  0x000
#define UARTRSR	  0x004
#define UARTFR	  0x018
#define UARTILPR  0x020
#define UARTIBRD  0x024
#define UARTFBRD  0x028
#define UARTLCR_H 0x02c
#define UARTCR	  0x030
#define UARTIFLS  0x034
#define UARTIMSC  0x038
#define UARTRIS	  0x03c
#define UARTMIS	  0x040
#define UARTICR	  0x044
#define UARTDMACR 0x048
#define UARTID	  0xfe0 /* PeriphID0..3, CellID0..3 */

#define FR_RXFE BIT(4)
#define FR_TXFF BIT(5)
#define FR_RXFF BIT(6)
#define FR_TXFE BIT(7)

/* Interrupt bits, the same in IMSC, RIS, MIS and ICR. */
#define INT_RX	BIT(4)
#define INT_TX	BIT(5)
#define INT_RT	BIT(6)
#define INT_ALL 0x7ff

#endif
