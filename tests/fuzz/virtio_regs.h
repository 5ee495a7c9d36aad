/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the virtio harnesses (fuzz_virtq, fuzz_virtio_blk, fuzz_vnet) write to a transport: a
 * register of slot 0 from the table, or any offset of the window, and a value, often one a
 * driver would write.
 */
#ifndef FUZZ_VIRTIO_REGS_H
#define FUZZ_VIRTIO_REGS_H

#include <kestrel/virtio_blk.h>

#include "harness.h"

static const uint16_t regs[] = {
    VIRTIO_MMIO_MAGIC_VALUE,	   VIRTIO_MMIO_VERSION,
    VIRTIO_MMIO_DEVICE_ID,	   VIRTIO_MMIO_VENDOR_ID,
    VIRTIO_MMIO_DEVICE_FEATURES,   VIRTIO_MMIO_DEVICE_FEATURES_SEL,
    VIRTIO_MMIO_DRIVER_FEATURES,   VIRTIO_MMIO_DRIVER_FEATURES_SEL,
    VIRTIO_MMIO_QUEUE_SEL,	   VIRTIO_MMIO_QUEUE_NUM_MAX,
    VIRTIO_MMIO_QUEUE_NUM,	   VIRTIO_MMIO_QUEUE_READY,
    VIRTIO_MMIO_QUEUE_NOTIFY,	   VIRTIO_MMIO_INTERRUPT_STATUS,
    VIRTIO_MMIO_INTERRUPT_ACK,	   VIRTIO_MMIO_STATUS,
    VIRTIO_MMIO_QUEUE_DESC_LOW,	   VIRTIO_MMIO_QUEUE_DESC_HIGH,
    VIRTIO_MMIO_QUEUE_DRIVER_LOW,  VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
    VIRTIO_MMIO_QUEUE_DEVICE_LOW,  VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
    VIRTIO_MMIO_SHM_SEL,	   VIRTIO_MMIO_QUEUE_RESET,
    VIRTIO_MMIO_CONFIG_GENERATION, VIRTIO_MMIO_CONFIG,
    VIRTIO_MMIO_CONFIG + 4,	   VIRTIO_MMIO_CONFIG + 8,
    VIRTIO_MMIO_CONFIG + 0x1fc,	   0x1f8,
    0x200 + VIRTIO_MMIO_STATUS,	   0x3e00,
};

/* A register of slot 0 from the table (or, with bit 7, a u16: any offset in the window). */
static inline uint64_t reg_offset(struct fuzz_in *in)
{
	uint8_t b = fuzz_u8(in);

	if (b & 0x80)
		return fuzz_u16(in) % VIRTIO_MMIO_SIZE;
	return regs[b % ARRAY_SIZE(regs)];
}

static inline uint32_t value(struct fuzz_in *in)
{
	static const uint32_t common[] = {0, 1, 2, 3, 4, 8, 0xb, 0xf, 0x40, 0x80, 0x101, 16, 256};
	uint8_t b = fuzz_u8(in);

	return b & 0x80 ? fuzz_u32(in) : common[b % ARRAY_SIZE(common)];
}

#endif
