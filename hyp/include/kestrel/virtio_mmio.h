/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-mmio transport (virtio 1.2 §4.2, version 2) at QEMU virt's window: its registers,
 * a device on one slot and what a device type gives it (virtio_mmio.c). The devices are
 * virtio_console.h, virtio_blk.h and virtio_net.h.
 */
#ifndef KESTREL_VIRTIO_MMIO_H
#define KESTREL_VIRTIO_MMIO_H

#include <kestrel/mmio.h>
#include <kestrel/spinlock.h>
#include <kestrel/virtq.h>

/* QEMU virt's window: 32 transports of 0x200 bytes, slot n on SPI 16 + n (edge). */
#define VIRTIO_MMIO_BASE      0x0a000000ull
#define VIRTIO_MMIO_SLOT_SIZE 0x200ull
#define VIRTIO_MMIO_SLOTS     32
#define VIRTIO_MMIO_SIZE      (VIRTIO_MMIO_SLOTS * VIRTIO_MMIO_SLOT_SIZE)
#define VIRTIO_MMIO_SPI_BASE  16 /* slot n: SPI 16 + n, INTID 48 + n */

/* Registers (§4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_SHM_SEL		0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW	0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH	0x0bc
#define VIRTIO_MMIO_QUEUE_RESET		0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC     0x74726976u /* "virt" */
#define VIRTIO_MMIO_VERSION_2 2u
#define VIRTIO_VENDOR_QEMU    0x554d4551u /* "QEMU": what QEMU's empty slots show */
#define VIRTIO_VENDOR_KESTREL 0x4c54534bu /* "KSTL" */

#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER	  2u
#define VIRTIO_STATUS_DRIVER_OK	  4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED	  128u

#define VIRTIO_INT_USED	  1u
#define VIRTIO_INT_CONFIG 2u

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_F_RING_RESET    40

#define VIRTIO_ID_BLOCK	  2
#define VIRTIO_ID_CONSOLE 3

struct virtio_dev;

/* What a device type gives the transport. Each is called with the device's lock held. */
struct virtio_dev_ops {
	uint32_t device_id;
	uint64_t features; /* offered, VIRTIO_F_VERSION_1 included */
	unsigned nqueues;
	unsigned queue_max; /* QueueNumMax, a power of two up to VIRTQ_NUM_MAX; 0: the default */
	unsigned config_size;
	/* The driver wrote QueueNotify for queue q (ready, DRIVER_OK set). */
	void (*notify)(struct virtio_dev *dev, unsigned q);
	/* A byte of the device's configuration space. */
	uint8_t (*config_read)(struct virtio_dev *dev, unsigned off);
	/* The device was reset (Status 0): the transport has cleared its own state. */
	void (*reset)(struct virtio_dev *dev);
	/* Optional: the driver is about to read InterruptStatus. A device whose work comes from
	   elsewhere (frames another VM sent) does it now, on its own guest's exit, and may set
	   int_status bits without raising another interrupt: the driver is handling one. */
	void (*interrupt_check)(struct virtio_dev *dev);
	/* Optional: a register write is done and the device's lock released. A device whose
	   work reached other devices (frames put in other ports' buffers) ends it there, holding
	   no lock of its own. */
	void (*after_write)(struct virtio_dev *dev);
};

/* One device on one transport slot. */
struct virtio_dev {
	const struct virtio_dev_ops *ops;
	const struct virtio_hooks *hooks;
	unsigned slot;
	spinlock_t lock;
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel;
	uint64_t drv_features;
	uint32_t queue_sel;
	uint32_t int_status;
	uint32_t config_generation;
	uint32_t generation; /* bumped by every reset and queue reset or stop: its rings are gone */
	uint64_t features; /* offered: ops->features, less what the VM's configuration turns off */
	uint32_t more;	   /* queues a notify left chains on (bit q): taken on the next ACK */
	uint64_t notifies, irqs; /* statistics: QueueNotify writes, interrupts raised */
	bool event_idx_seen;	 /* statistics: a queue was made ready with EVENT_IDX */
	struct virtq vq[VIRTQ_QUEUES_MAX];
};

/* The whole window of one VM, one emulated device of 32 slots. */
struct virtio_mmio {
	struct mmio_dev dev;
	struct virtio_dev *slot[VIRTIO_MMIO_SLOTS]; /* NULL: an empty slot */
};

void virtio_mmio_init(struct virtio_mmio *w, ipaddr_t base);
void virtio_mmio_dev_init(struct virtio_dev *dev, const struct virtio_dev_ops *ops,
			  const struct virtio_hooks *hooks, unsigned slot);
/* A reset, as the driver's Status 0 (takes the device's lock). */
void virtio_mmio_dev_reset(struct virtio_dev *dev);
/* The ring is broken: DEVICE_NEEDS_RESET and a configuration-change interrupt (lock held). */
void virtio_mmio_dev_broken(struct virtio_dev *dev);
/* Used buffers are on queue q's used ring: an interrupt unless the driver asked for none. */
void virtio_mmio_dev_used(struct virtio_dev *dev, unsigned q);
/*
 * The device's bound stopped its work on queue q with chains still on the ring (lock held).
 * The used-buffer interrupt is raised whatever the driver asked (with EVENT_IDX it would not
 * notify again for chains it has posted already), and its acknowledgement runs the queue's
 * notify again.
 */
void virtio_mmio_dev_more(struct virtio_dev *dev, unsigned q);
/* Whether the driver has it running: DRIVER_OK set, NEEDS_RESET and FAILED clear. */
bool virtio_mmio_dev_live(const struct virtio_dev *dev);

#endif
