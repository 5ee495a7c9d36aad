/* SPDX-License-Identifier: Apache-2.0 */
/* PL011 UART register map (ARM DDI 0183), as far as the guests use it. */
#ifndef GUEST_PL011_H
#define GUEST_PL011_H

#define PL011_DEFAULT_BASE 0x09000000ul

#define PL011_DR	  0x000
#define PL011_FR	  0x018
#define PL011_IBRD	  0x024
#define PL011_FBRD	  0x028
#define PL011_LCR_H	  0x02c
#define PL011_CR	  0x030
#define PL011_IMSC	  0x038
#define PL011_RIS	  0x03c
#define PL011_MIS	  0x040
#define PL011_ICR	  0x044
#define PL011_PERIPHID(n) (0xfe0 + 4 * (n))
#define PL011_CELLID(n)	  (0xff0 + 4 * (n))

#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_TXFE (1u << 7)

/* IMSC, RIS, MIS and ICR hold 11 interrupt bits. */
#define PL011_INT_MASK 0x7ffu

#endif
