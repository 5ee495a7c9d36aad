/* SPDX-License-Identifier: Apache-2.0 */
/* Generation of the device tree each VM boots with: exactly what that VM has. Pure logic. */
#ifndef KESTREL_GUEST_DTB_H
#define KESTREL_GUEST_DTB_H

#include <kestrel/types.h>

/* The room kestrel gives a VM's device tree: allocated when the VM is built, kept for restarts. */
#define GUEST_DTB_MAX (64 * 1024)

struct guest_dtb_params {
	ipaddr_t ram_base;
	uint64_t ram_size;
	unsigned vcpus;
	bool pmu;	      /* the PMU's node: guests have it (hyp.has_pmu) */
	const char *bootargs; /* may be NULL */
	ipaddr_t initrd_start;
	uint64_t initrd_size; /* 0: no initrd */
	unsigned nshm;
	struct {
		unsigned id, spi;
		ipaddr_t ipa;
		uint64_t size;
		ipaddr_t doorbell; /* its doorbell registers (8 bytes) */
	} shm[8];		   /* shared memory regions this VM is a member of */
	/* Passed-through devices: nodes of the host DTB copied into the guest's. */
	const void *host_fdt;
	unsigned npassthrough;
	int passthrough[4];
	/* virtio-mmio transports with a device: slots 0..nvirtio - 1 of QEMU virt's window. */
	unsigned nvirtio;
};

/* Writes the DTB into buf; returns its size, or a negative error if buf is too small. */
MUST_CHECK int guest_dtb_build(void *buf, size_t size, const struct guest_dtb_params *p);

#endif
