/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtual I/O: the virtio-mmio transport (virtio 1.2 §4.2, version 2), split virtqueues (§2.7)
 * and the devices behind them. A device model reaches the guest only through struct
 * virtio_hooks: checked copies to and from the VM's own RAM (the only way it ever touches guest
 * memory) and an interrupt to raise. Pure logic: the same code runs in kestrel and, with fake
 * hooks, in the host fuzzer (tests/fuzz/fuzz_virtq.c).
 */
#ifndef KESTREL_VIRTIO_H
#define KESTREL_VIRTIO_H

#include <kestrel/addr.h>
#include <kestrel/mmio.h>
#include <kestrel/spinlock.h>

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

/* Split virtqueues (§2.7). */
#define VIRTQ_NUM_MAX		   256 /* QueueNumMax of every kestrel queue */
#define VIRTQ_QUEUES_MAX	   2
#define VIRTQ_DESC_F_NEXT	   1u
#define VIRTQ_DESC_F_WRITE	   2u
#define VIRTQ_DESC_F_INDIRECT	   4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* The one way a device model reaches guest memory: copies checked against the VM's own RAM
   (bounds, overflow), returning E_OK or -E_RANGE; and the interrupt of its slot. */
struct virtio_hooks {
	void *ctx;
	MUST_CHECK int (*read)(void *ctx, ipa_t src, void *dst, uint64_t size);
	MUST_CHECK int (*write)(void *ctx, ipa_t dst, const void *src, uint64_t size);
	bool (*in_ram)(void *ctx, ipa_t ipa, uint64_t size); /* all of it in the VM's RAM */
	void (*irq)(void *ctx, unsigned slot);		     /* an edge on the slot's SPI */
};

struct virtq {
	uint16_t num; /* QueueNum: a power of two up to VIRTQ_NUM_MAX */
	bool ready;
	ipa_t desc, avail, used;
	uint16_t last_avail; /* the next avail ring entry kestrel takes */
	uint16_t used_idx;   /* the used ring's idx as kestrel last wrote it */
	/* VIRTIO_F_EVENT_IDX (§2.7.10), as negotiated when the queue was made ready */
	bool event_idx;
	bool signalled_valid;	 /* signalled_used means something (not since ready or a wrap) */
	uint16_t signalled_used; /* used_idx at the last interrupt decision */
	bool avail_event_set;	 /* avail_event holds last_avail as written last */
	uint16_t avail_event;	 /* what kestrel last wrote as the used ring's avail_event */
};

/* One descriptor, copied out of guest memory: used from this copy only. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Walks one chain: each descriptor is read once, the walk ends after q->num of them. */
struct virtq_chain {
	uint16_t head;
	uint16_t next;
	bool more;
	bool wrote; /* a device-writable descriptor came: no readable one may follow */
	unsigned seen;
};

/*
 * Takes the next available chain: 1 and *chain set up, 0 if none, -E_RANGE if the ring is
 * broken (an avail idx more than num ahead, a head out of range, memory outside RAM). With
 * EVENT_IDX, finding the ring empty asks the driver for a notify of its next chain
 * (avail_event = last_avail) and looks once more, so a chain posted meanwhile is not missed.
 */
MUST_CHECK int virtq_pop(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain);
/* Whether the driver has offered chains not taken yet (a broken index counts: the next
   virtq_pop reports it); if not, with EVENT_IDX, asks for a notify of the next, as
   virtq_pop does. */
bool virtq_has_avail(struct virtq *q, const struct virtio_hooks *h);
/* The chain's next descriptor: 1 with *d, 0 at its end, -E_RANGE if it is broken (a next out
   of range, a loop or a chain longer than the ring, an indirect descriptor, a buffer that is
   not all in the VM's RAM, or a device-readable one after a device-writable one). */
MUST_CHECK int virtq_next(struct virtq *q, const struct virtio_hooks *h, struct virtq_chain *chain,
			  struct virtq_desc *d);
/* Puts the chain on the used ring with len bytes written into it. */
MUST_CHECK int virtq_push(struct virtq *q, const struct virtio_hooks *h, uint16_t head,
			  uint32_t len);
/* Whether the driver wants an interrupt for the used buffers pushed since the last call: with
   EVENT_IDX, whether its used_event is among them (§2.7.10); else VIRTQ_AVAIL_F_NO_INTERRUPT
   clear. */
bool virtq_wants_irq(struct virtq *q, const struct virtio_hooks *h);
/* Whether the ring's areas lie in the VM's RAM, aligned as §2.7 asks. */
bool virtq_layout_ok(const struct virtq *q, const struct virtio_hooks *h);

struct virtio_dev;

/* What a device type gives the transport. Each is called with the device's lock held. */
struct virtio_dev_ops {
	uint32_t device_id;
	uint64_t features; /* offered, VIRTIO_F_VERSION_1 included */
	unsigned nqueues;
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

/* virtio-console (§5.3): port 0 only, receiveq 0 and transmitq 1. */
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

/*
 * virtio-blk (§5.2): one request queue. The data goes through the backend's buffer, which the
 * backend hands its own disk (kestrel: a machine virtio disk, hostdisk.c); the guest's buffers
 * are reached only through the hooks.
 */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO	      5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

#define VIRTIO_BLK_T_IN	    0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR  512u
#define VIRTIO_BLK_ID_LEN  20u		       /* GET_ID's answer, NUL-padded */
#define VBLK_SEG_MAX	   (VIRTQ_NUM_MAX - 2) /* a header and a status around the data */
#define VBLK_REQ_MAX	   (4u << 20) /* data bytes of one request; more fails with IOERR */
#define VBLK_NOTIFY_BUDGET (8u << 20) /* data bytes after which a notify takes no new chain */

/* What a virtio-blk device reads and writes: a disk of `sectors` sectors of 512 bytes, moved
   through `buf` (buf_size bytes, a multiple of 512) by io(). type is VIRTIO_BLK_T_IN, _OUT or
   _FLUSH. io() returns E_OK when it is done, VBLK_IO_PENDING when it is under way (the backend
   then calls virtio_blk_done, on any CPU, without the device's lock), or an error (the request
   fails with IOERR). One piece at a time: io() is not called again before the done. */
#define VBLK_IO_PENDING 1
struct virtio_blk_backend {
	void *ctx;
	uint64_t sectors;
	bool read_only;
	uint8_t *buf;
	uint32_t buf_size;
	MUST_CHECK int (*io)(void *ctx, uint32_t type, uint64_t sector, uint32_t len);
};

/* The request being served: one at a time, its pieces one after the other. */
struct virtio_blk_req {
	bool active;	     /* begun, not finished */
	bool busy;	     /* a piece is at the backend (even after a reset: until its done) */
	uint32_t generation; /* the device's when it began: a reset since drops it */
	uint16_t head;
	unsigned ndesc;
	uint32_t type;
	uint64_t sector;
	uint64_t len, done; /* data bytes, and those moved */
	uint64_t wlen;	    /* device-writable bytes of the chain, the status byte last */
	uint32_t piece;	    /* bytes at the backend now, or just back from it */
	uint32_t written;   /* data bytes written into the chain */
};

struct virtio_blk {
	struct virtio_dev vdev;
	struct virtio_blk_backend be;
	char id[VIRTIO_BLK_ID_LEN];
	bool used;	/* chains were used since the last interrupt */
	uint64_t moved; /* data bytes moved since the notify (or completion) began */
	struct virtio_blk_req req;
	/* The chain being served, each descriptor copied once from the guest's table. */
	struct virtq_desc chain[VIRTQ_NUM_MAX];
	uint64_t reads, writes, flushes, failed, broken; /* statistics */
};

void virtio_blk_init(struct virtio_blk *b, const struct virtio_hooks *hooks, unsigned slot,
		     const struct virtio_blk_backend *be, const char *id);
/* The backend finished the piece it said was under way (ok: the disk did it). */
void virtio_blk_done(struct virtio_blk *b, bool ok);
/* Whether no piece is at the backend. */
bool virtio_blk_idle(struct virtio_blk *b);

#endif
