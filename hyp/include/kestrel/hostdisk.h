/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The machine's own virtio disks (hostdisk.c): QEMU virtio-blk devices on the machine's
 * virtio-mmio transports, which kestrel drives itself and serves to a VM as its virtio-blk.
 * Each has the serial the tool gave it, "<vm>/<node>", which names the one VM device it backs.
 */
#ifndef KESTREL_HOSTDISK_H
#define KESTREL_HOSTDISK_H

#include <kestrel/types.h>

#define HOSTDISK_MAX 32
/* The disk's buffer, for requests that do not go in place: what one request through it moves
   at most, a 1 MiB request of Linux's (dd bs=1M) in one piece. Each piece is a round trip
   through the machine's disk, which in 64 KiB pieces cost three quarters of the throughput
   (docs/virtio.md, docs/benchmarks.md). */
#define HOSTDISK_BUF_SIZE (1024u << 10)
#define HOSTDISK_WAIT_MS  5000 /* a request not done by then: the disk is given up */
/* The machine disk's queue, as the tool asks QEMU for it (queue-size): room for a request in
   place of a VM's, a header, the most ranges a VM's disk takes (VBLK_SEG_MAX) and a status. A
   machine disk with a smaller queue takes fewer ranges in place; the rest go through the
   buffer. */
#define HOSTDISK_QUEUE 512

struct hostdisk;
struct virtio_blk_backend;

/* Finds the virtio-mmio block devices of the host device tree and starts each, but those on a
   page for which skip() says a VM has it passed through; their interrupts go to the CPU of
   mpidr. Prints what it finds. */
void hostdisk_probe(const void *fdt, bool (*skip)(paddr_t base, uint64_t size), uint64_t mpidr);
/* The disk whose serial is `serial`, or NULL. */
struct hostdisk *hostdisk_find(const char *serial);
/* The disk as a virtio-blk backend; read-only when asked or when the machine's disk is. Its
   pieces end in done(ctx, ok), called from the disk's interrupt on the CPU it goes to. */
void hostdisk_backend(struct hostdisk *d, bool read_only, struct virtio_blk_backend *be);
void hostdisk_on_done(struct hostdisk *d, void (*done)(void *ctx, bool ok), void *ctx);
/* A physical interrupt: true if it is a disk's (its request's end is handled). */
bool hostdisk_irq(unsigned intid);
/* Waits until the disk has no request at the device nor a done function running (at most
   HOSTDISK_WAIT_MS; a disk that does not answer is given up): after it no done call reaches
   the VM that had the disk, until hostdisk_on_done is called again. */
void hostdisk_quiesce(struct hostdisk *d);

#endif
