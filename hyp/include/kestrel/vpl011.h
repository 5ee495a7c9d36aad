/* SPDX-License-Identifier: Apache-2.0 */
/* A virtual PL011 per VM: guest output goes to the physical UART, input comes back from it. */
#ifndef KESTREL_VPL011_H
#define KESTREL_VPL011_H

#include <kestrel/mmio.h>
#include <kestrel/spinlock.h>

#define VPL011_RX_SIZE 64

struct vpl011 {
	struct mmio_dev dev;
	spinlock_t lock;
	uint32_t ibrd, fbrd, lcr_h, cr, ifls, imsc, ris;
	uint8_t rx[VPL011_RX_SIZE];
	unsigned rx_head;
	volatile unsigned rx_count;
	void (*output)(struct vpl011 *u, char c);
	/* Level of the UART's interrupt line, reported on every change. */
	void (*irq_line)(struct vpl011 *u, bool level);
	bool line;
};

/* Input for the guest, from the physical UART's interrupt (dropped when the FIFO is full). */
void vpl011_receive(struct vpl011 *u, char c);

void vpl011_init(struct vpl011 *u, ipaddr_t base, void (*output)(struct vpl011 *u, char c));

#endif
