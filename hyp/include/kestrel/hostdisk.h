/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The machine's own virtio disks (hostdisk.c): QEMU virtio-blk devices on the machine's
 * virtio-mmio transports, which kestrel drives itself and serves to a VM as its virtio-blk.
 * Each has the serial the tool gave it, "<vm>/<node>", which names the one VM device it backs.
 */
#ifndef KESTREL_HOSTDISK_H
#define KESTREL_HOSTDISK_H

#include <kestrel/types.h>

#define HOSTDISK_MAX	  32
#define HOSTDISK_BUF_SIZE (64u << 10) /* what one request to the machine's disk moves at most */
#define HOSTDISK_WAIT_MS  5000	      /* a request not done by then: the disk is given up */

struct hostdisk;
struct virtio_blk_backend;

/* Finds the virtio-mmio block devices of the host device tree and starts each, but those on a
   page for which skip() says a VM has it passed through. Prints what it finds. */
void hostdisk_probe(const void *fdt, bool (*skip)(paddr_t base, uint64_t size));
/* The disk whose serial is `serial`, or NULL. */
struct hostdisk *hostdisk_find(const char *serial);
/* The disk as a virtio-blk backend; read-only when asked or when the machine's disk is. */
void hostdisk_backend(struct hostdisk *d, bool read_only, struct virtio_blk_backend *be);

#endif
