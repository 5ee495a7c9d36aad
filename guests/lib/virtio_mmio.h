/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the test guests' virtio drivers need of the virtio-mmio transport (virtio 1.2 §4.2.2)
 * and of a split virtqueue (§2.7): the window kestrel puts at QEMU virt's address, the
 * registers, the device status bits and the descriptor layout.
 */
#ifndef GUEST_VIRTIO_MMIO_H
#define GUEST_VIRTIO_MMIO_H

#include <stdint.h>

#define WINDOW	   0x0a000000ul
#define SLOT(n)	   (WINDOW + 0x200ul * (n))
#define VIRTIO_SPI 16 /* slot 0's; slot n's is VIRTIO_SPI + n */

#define R_MAGIC	      0x000
#define R_VERSION     0x004
#define R_DEVICE_ID   0x008
#define R_VENDOR_ID   0x00c
#define R_DEV_FEAT    0x010
#define R_DEV_FEAT_S  0x014
#define R_DRV_FEAT    0x020
#define R_DRV_FEAT_S  0x024
#define R_QUEUE_SEL   0x030
#define R_QUEUE_MAX   0x034
#define R_QUEUE_NUM   0x038
#define R_QUEUE_READY 0x044
#define R_NOTIFY      0x050
#define R_INT_STATUS  0x060
#define R_INT_ACK     0x064
#define R_STATUS      0x070
#define R_DESC_LO     0x080
#define R_DESC_HI     0x084
#define R_DRIVER_LO   0x090
#define R_DRIVER_HI   0x094
#define R_DEVICE_LO   0x0a0
#define R_DEVICE_HI   0x0a4
#define R_SHM_SEL     0x0ac
#define R_SHM_LEN_LO  0x0b0
#define R_QUEUE_RESET 0x0c0
#define R_CONFIG_GEN  0x0fc
#define R_CONFIG      0x100

#define S_ACK	      1u
#define S_DRIVER      2u
#define S_DRIVER_OK   4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u

#define F_EVENT_IDX (1u << 29) /* VIRTIO_F_EVENT_IDX, offered by every kestrel device */

/* A descriptor's flags: the chain goes on at next; the device writes the buffer. */
#define DESC_NEXT  1u
#define DESC_WRITE 2u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

#endif
