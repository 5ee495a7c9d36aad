/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the test guests' virtio drivers need of the virtio-mmio transport (virtio 1.2 §4.2.2)
 * and of a split virtqueue (§2.7): the window kestrel puts at QEMU virt's address, the
 * registers, the device status bits, the ring layout and the steps every driver takes to start
 * a device and post a chain. Each guest drives its devices on top of these as its test needs.
 */
#ifndef GUEST_VIRTIO_MMIO_H
#define GUEST_VIRTIO_MMIO_H

#include <stdbool.h>
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

#define F_VERSION_1  (1ull << 32)
#define F_RING_RESET (1ull << 40)

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Every guest's rings have this many entries; a queue may be set up with fewer (its num). */
#define VIRTQ_N 16

/*
 * A split ring: the descriptor table, the driver (avail) area and the device (used) area one
 * after the other, then what only the driver keeps. used_event and avail_event are where the
 * device looks for them only in a queue of VIRTQ_N entries.
 */
struct virtq {
	struct desc desc[VIRTQ_N];
	struct {
		uint16_t flags, idx, ring[VIRTQ_N], used_event;
	} avail;
	uint16_t pad; /* the used area is 4-byte aligned */
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[VIRTQ_N];
		uint16_t avail_event;
	} used;
	uint16_t num, next_avail, last_used;
} __attribute__((aligned(16)));

/* Writes both 32-bit words of the driver's features (DriverFeaturesSel 0, then 1). */
void virtio_set_features(uintptr_t base, uint64_t features);

/* §3.1.1 up to FEATURES_OK: reset, ACKNOWLEDGE, DRIVER, the features, FEATURES_OK; whether the
   device kept FEATURES_OK. */
bool virtio_negotiate(uintptr_t base, uint64_t features);

/* Queue q of num entries at the three addresses given, then QueueReady: no check of them, so
   a hostile guest can point them anywhere. */
void virtio_queue_at(uintptr_t base, unsigned q, uint64_t desc, uint64_t avail, uint64_t used,
		     unsigned num);

/* Queue q of num (at most VIRTQ_N) entries on ring r, emptied first. */
void virtq_setup(uintptr_t base, unsigned q, struct virtq *r, unsigned num);

/* Puts the chain at head in the avail ring and publishes it, the stores ordered for the
   device; the notify is the caller's. */
void virtq_offer(struct virtq *r, uint16_t head);

/* The device's used index, read afresh. */
static inline uint16_t virtq_used_idx(const struct virtq *r)
{
	return *(const volatile uint16_t *)&r->used.idx;
}

#endif
