/* SPDX-License-Identifier: Apache-2.0 */
/* Emulated devices in a VM's guest-physical space, found by the faulting IPA. */
#ifndef KESTREL_MMIO_H
#define KESTREL_MMIO_H

#include <kestrel/types.h>

struct vcpu;
struct mmio_dev;

struct mmio_ops {
	/* Return false to give the guest an external abort for this access. */
	bool (*read)(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
		     uint64_t *val);
	bool (*write)(struct mmio_dev *dev, struct vcpu *vcpu, uint64_t off, unsigned width,
		      uint64_t val);
};

struct mmio_dev {
	ipaddr_t base;
	uint64_t size;
	const char *name;
	const struct mmio_ops *ops;
};

/* Binary search of a table sorted by base; NULL when no device covers ipa. */
struct mmio_dev *mmio_find(struct mmio_dev *const *devs, unsigned n, ipaddr_t ipa);
/* Inserts keeping the order; refuses overlaps and a full table. */
MUST_CHECK int mmio_insert(struct mmio_dev **devs, unsigned *n, unsigned max, struct mmio_dev *dev);

#endif
