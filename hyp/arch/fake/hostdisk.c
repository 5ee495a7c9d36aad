/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The machine's virtio disks on the host: there are none, as on a machine the tool attached no
 * disk to. A VM with a kestrel,virtio-blk is refused at build (hyp/core/vm_virtio.c); the
 * device model itself is tested with a disk of the test's own (tests/unit/test_virtio_blk.c).
 */
#include <kestrel/hostdisk.h>

void hostdisk_probe(const void *fdt, bool (*skip)(paddr_t base, uint64_t size), uint64_t mpidr)
{
	(void)fdt;
	(void)skip;
	(void)mpidr;
}

struct hostdisk *hostdisk_find(const char *serial)
{
	(void)serial;
	return NULL;
}

void hostdisk_backend(struct hostdisk *d, bool read_only, struct virtio_blk_backend *be)
{
	(void)d;
	(void)read_only;
	(void)be;
}

void hostdisk_on_done(struct hostdisk *d, void (*done)(void *ctx, bool ok), void *ctx)
{
	(void)d;
	(void)done;
	(void)ctx;
}

bool hostdisk_irq(unsigned intid)
{
	(void)intid;
	return false;
}

void hostdisk_quiesce(struct hostdisk *d)
{
	(void)d;
}
