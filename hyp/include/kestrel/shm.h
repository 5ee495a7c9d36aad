/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared memory between VMs: regions described under /chosen (compatible
 * "kestrel,shared-memory", size, vms = names of the VMs that share it), mapped at the same
 * guest-physical address in each of them, with a doorbell: a hypercall that raises the
 * region's interrupt in the other VMs.
 */
#ifndef KESTREL_SHM_H
#define KESTREL_SHM_H

#include <kestrel/mmio.h>
#include <kestrel/vmconfig.h>

#define SHM_MAX		     8
#define SHM_IPA_BASE	     0x10000000ull /* below guest RAM, clear of the emulated devices */
#define SHM_IPA_END	     0x3f000000ull
#define SHM_SPI_BASE	     56		 /* region n rings SPI 56 + n (INTID 88 + n) */
#define KESTREL_SHM_DOORBELL 0x86000001u /* SMCCC vendor-hypervisor call (SMC32): w1 = region */
/*
 * The doorbells as registers too, for guests that cannot make hypercalls where they ring (Linux
 * user space, through /dev/mem): region n has 8 bytes at SHM_DOORBELL_IPA + 8 n, a 32-bit
 * write to the first word rings, a 32-bit read of the second is a running count of the rings
 * this VM has received for it (wrapping; set to 0 when kestrel builds the VM). Just below the
 * regions' window.
 */
#define SHM_DOORBELL_IPA      (SHM_IPA_BASE - PAGE_SIZE)
#define SHM_DOORBELL_RING     0
#define SHM_DOORBELL_RECEIVED 4

/* What kestrel prints for a shared region it refuses. */
#define SHM_REFUSED_FMT "shared region '%s' refused: %s"

struct shm_config {
	char name[VM_NAME_MAX];
	uint64_t size;
	ipaddr_t ipa;
	unsigned nvms;
	uint8_t vm[VM_MAX]; /* indices of the member VMs' descriptions */
};

/* What a VM holds of the regions: the rings it received per region since kestrel built it,
   and its doorbell registers. */
struct shm_vm {
	uint32_t received[SHM_MAX];
	struct mmio_dev doorbell;
};

struct vm;
struct vcpu;
struct guest_dtb_params;

/* shm.c: allocation at boot, mapping into a VM, the guest DTB nodes, the doorbell. */
unsigned shm_setup(const void *fdt, const struct vm_config *vms, unsigned nvms);
MUST_CHECK int shm_map(struct vm *vm);
/* VM vm_id was refused: its regions go; returns the other members (bit per VM index). */
unsigned shm_drop_regions_of(unsigned vm_id, const char *name);
void shm_dtb_params(const struct vm *vm, struct guest_dtb_params *p);
int64_t shm_doorbell(struct vcpu *vcpu, uint64_t region);
/* The doorbell registers of a VM that is a member of a region, among its devices. */
struct mmio_dev *shm_attach(struct vm *vm);
/* Whether owner is a shared region that vm is a member of. */
bool shm_owner_shared_with(uint16_t owner, const struct vm *vm);

#endif
