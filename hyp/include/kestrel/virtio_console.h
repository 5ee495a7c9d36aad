/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-console (virtio 1.2 §5.3): the VM's hvc0 (virtio_console.c). */
#ifndef KESTREL_VIRTIO_CONSOLE_H
#define KESTREL_VIRTIO_CONSOLE_H

#include <kestrel/virtio_mmio.h>

/* Port 0 only, receiveq 0 and transmitq 1. */
#define VCONS_RX_SIZE	256  /* input kept for the guest until it posts buffers */
#define VCONS_TX_BUDGET 4096 /* bytes of output one notify may cause */
#define VCONS_CHUNK	128

struct virtio_console {
	struct virtio_dev vdev;
	/* Output of port 0, a buffer at a time. */
	void (*output)(struct virtio_console *c, const char *buf, unsigned len);
	uint8_t rx[VCONS_RX_SIZE];
	unsigned rx_head, rx_count;
	uint64_t tx_bytes, rx_bytes, broken; /* statistics */
};

void virtio_console_init(struct virtio_console *c, const struct virtio_hooks *hooks, unsigned slot,
			 void (*output)(struct virtio_console *c, const char *buf, unsigned len));
/* Input for the guest (dropped when VCONS_RX_SIZE bytes wait already). */
void virtio_console_receive(struct virtio_console *c, const char *buf, unsigned len);
/* Whether input should come here rather than to the UART: the driver has it running. */
bool virtio_console_live(struct virtio_console *c);

#endif
