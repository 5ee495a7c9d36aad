/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a driver does to a virtio-mmio device, for the unit tests and fuzz harnesses of kestrel's
 * virtio devices: the spec's initialization, a queue's set-up and the descriptors it lays in
 * guest memory. Each test does the register writes its own way (write, with its ctx).
 */
#ifndef KESTREL_TEST_VIRTIO_DRIVER_H
#define KESTREL_TEST_VIRTIO_DRIVER_H

#include <stdint.h>

#include <kestrel/virtio_mmio.h>

/* A register write of the test's own, to the device ctx says (a port, or nothing). */
typedef void (*virtio_reg_write_fn)(void *ctx, uint64_t off, uint32_t val);

/* The spec's initialization up to FEATURES_OK (§3.1.1): reset, ACKNOWLEDGE, DRIVER, both words
   of the driver's features, FEATURES_OK. */
static inline void virtio_negotiate(virtio_reg_write_fn write, void *ctx, uint64_t features)
{
	write(ctx, VIRTIO_MMIO_STATUS, 0);
	write(ctx, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	write(ctx, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	write(ctx, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	write(ctx, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	write(ctx, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	write(ctx, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	write(ctx, VIRTIO_MMIO_STATUS,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

/* Queue q of num entries with its three areas at the addresses given, then QueueReady. */
static inline void virtio_queue(virtio_reg_write_fn write, void *ctx, uint32_t q, uint32_t num,
				uint64_t desc, uint64_t avail, uint64_t used)
{
	write(ctx, VIRTIO_MMIO_QUEUE_SEL, q);
	write(ctx, VIRTIO_MMIO_QUEUE_NUM, num);
	write(ctx, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	write(ctx, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	write(ctx, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	write(ctx, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	write(ctx, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	write(ctx, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	write(ctx, VIRTIO_MMIO_QUEUE_READY, 1);
}

#endif
