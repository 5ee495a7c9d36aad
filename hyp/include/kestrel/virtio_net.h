/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net (virtio 1.2 §5.1) without offloads: receiveq1 (0) and transmitq1 (1), the MAC in
 * the configuration space (F_MAC) and the link always up (F_STATUS). Each device is one port
 * of a virtual switch (vswitch.h). Frames a port sends go to the switch from the device's own
 * copy. A frame for a port goes straight into its guest's next receive buffer, on the sending
 * CPU, when that is cheap and safe: the receiver's device lock is free (a sender never waits
 * for it while it holds its own), the device runs, no frame waits before this one and the
 * buffer's chain has at most VNET_DIRECT_DESCS descriptors (a sender's work per frame is
 * bounded whatever the receiver posts). The write goes through the receiver's own checked
 * copies, under its device lock, as console input does; the receiver's interrupt is decided
 * once per notify of the sender, after it (rx_unsignalled, signal_due). Otherwise the frame waits
 * in a small queue of kestrel's (pending) until the receiver's own guest, on one of its own exits,
 * takes it. A receiver that is slow or has stopped loses frames (counted) instead of holding
 * anybody up.
 */
#ifndef KESTREL_VIRTIO_NET_H
#define KESTREL_VIRTIO_NET_H

#include <kestrel/virtio_mmio.h>

#define VIRTIO_ID_NET	     1
#define VIRTIO_NET_F_MAC     5
#define VIRTIO_NET_F_STATUS  16
#define VIRTIO_NET_S_LINK_UP 1u

#define ETH_ALEN       6
#define VNET_HDR_LEN   12   /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define VNET_FRAME_MIN 14   /* an Ethernet header */
#define VNET_FRAME_MAX 1518 /* 1500 bytes of payload, a VLAN tag; no FCS, no offloads */
#define VNET_PENDING   32   /* frames waiting for one port's receive buffers */
#define VNET_CONFIG    10   /* mac[6], status, max_virtqueue_pairs (always 1) */
/* the longest receive chain a sending port's CPU fills (Linux posts one descriptor a frame) */
#define VNET_DIRECT_DESCS 4

struct vswitch;

struct vnet_frame {
	uint16_t len;
	uint8_t data[VNET_FRAME_MAX];
};

/* Counters of one port, each changed under one lock (noted). */
struct vnet_stats {
	uint64_t tx_frames, tx_bytes; /* sent into the switch (device lock) */
	uint64_t tx_dropped;	      /* malformed or too long (device lock) */
	uint64_t tx_spoofed;	      /* a source MAC not the port's (device lock) */
	uint64_t rx_frames, rx_bytes; /* put in the guest's buffers (device lock) */
	uint64_t rx_dropped;	      /* pending queue full, device not running (pending lock) */
	uint64_t rx_short;	      /* a receive buffer too small for the frame (device lock) */
	uint64_t broken;	      /* rings that put the device in NEEDS_RESET (device lock) */
};

struct virtio_net {
	struct virtio_dev vdev;
	uint8_t mac[ETH_ALEN];
	bool bridge;	      /* may send other sources than mac (vswitch.h) */
	struct vswitch *sw;   /* NULL: on no switch, what it sends is dropped */
	unsigned port;	      /* its index in sw */
	struct vnet_frame tx; /* kestrel's copy of the frame being sent (device lock) */
	/* Frames another port put in this guest's buffers whose used-buffer interrupt is not
	   decided yet (device lock): the sender decides it once its notify is done. */
	bool rx_unsignalled;
	/* Frames this port sent went into other ports' buffers since it last looked (atomic). */
	bool signal_due;
	/* Frames from the switch for this port: a ring, under pending_lock, a leaf lock (nothing
	   else is taken while it is held but the receiver's interrupt). */
	spinlock_t pending_lock;
	bool accepting; /* the guest's driver started the device since the last reset */
	unsigned pend_head, pend_count;
	struct vnet_frame pending[VNET_PENDING];
	struct vnet_stats stats;
};

void virtio_net_init(struct virtio_net *n, const struct virtio_hooks *hooks, unsigned slot,
		     const uint8_t mac[ETH_ALEN]);
/*
 * A frame from the switch for this port (any CPU, any lock but this port's held): put in the
 * guest's next receive buffer (true: the sending port then owes it the interrupt decision,
 * virtio_net_signal), or queued for the guest, with an interrupt when the queue was empty, or
 * dropped (counted) when the queue is full or the driver has not started the device.
 */
bool virtio_net_deliver(struct virtio_net *n, const uint8_t *frame, unsigned len);

#endif
