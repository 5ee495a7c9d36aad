/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operations of a virtio harness's input that are the same in each (fuzz_virtq,
 * fuzz_virtio_blk, fuzz_vnet): a byte whose low 3 bits say what it is, then its operands.
 *   0  register write: a register selector (reg_offset), a value selector (value)
 *   1  register read: a register selector, the width (1 << bits 3..4)
 *   3  RAM write: u16 offset, length byte, that many bytes
 *   4  a descriptor (ram_descriptor) in queue bit 3 (modulo the queues there are)
 *   5  QueueNotify: queue (bits 3..4)
 *   7  from now on, every read the device makes changes a RAM byte (ram_mutation_start)
 * Operations 2 and 6 are each harness's own.
 */
#ifndef FUZZ_VIRTIO_OPS_H
#define FUZZ_VIRTIO_OPS_H

#include "guest_ram.h"
#include "harness.h"
#include "virtio_driver.h"
#include "virtio_regs.h"

/* The device an operation is done to, as the harness reaches it. */
struct virtio_target {
	void *ctx; /* what write and read are given */
	virtio_reg_write_fn write;
	void (*read)(void *ctx, uint64_t off, unsigned width);
	uint8_t *ram;
	const struct virtq *vq;
	unsigned queues;
	struct ram_mutation *mutation;
};

/* Does operation op if it is one of the shared ones: whether it was. */
static inline bool virtio_op(const struct virtio_target *t, struct fuzz_in *in, uint8_t op)
{
	uint8_t buf[256];
	uint64_t off;
	unsigned n;

	switch (op & 7) {
	case 0:
		off = reg_offset(in);
		t->write(t->ctx, off, value(in));
		return true;
	case 1:
		off = reg_offset(in);
		t->read(t->ctx, off, 1u << ((op >> 3) & 3));
		return true;
	case 3:
		off = fuzz_u16(in);
		n = fuzz_u8(in);
		n = (unsigned)fuzz_bytes(in, buf, n);
		ram_put(t->ram, RAM_BASE + off, buf, n);
		return true;
	case 4:
		ram_descriptor(t->ram, &t->vq[((op >> 3) & 1) % t->queues], in, op);
		return true;
	case 5:
		t->write(t->ctx, VIRTIO_MMIO_QUEUE_NOTIFY, (op >> 3) & 3);
		return true;
	case 7:
		ram_mutation_start(t->mutation, in);
		return true;
	default:
		return false;
	}
}

#endif
