/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the vGIC's unit tests and fuzz harnesses: the VM they build around the vGIC, and
 * the guest-RAM hooks of those that give it none.
 */
#ifndef KESTREL_TEST_VGIC_VM_H
#define KESTREL_TEST_VGIC_VM_H

#include <string.h>

#include <kestrel/guest_layout.h>
#include <kestrel/vgic.h>
#include <kestrel/vm.h>

/* vm emptied, with count vCPUs: vCPU i has the affinity QEMU virt gives CPU i and runs on
   cpus[i]. */
static inline void vgic_test_vm(struct vm *vm, struct pcpu *cpus, unsigned count)
{
	memset(vm, 0, sizeof(*vm));
	vm->vcpu_count = count;
	for (unsigned i = 0; i < count; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		vm->vcpus[i].vmpidr = GUEST_MPIDR(i);
		vm->vcpus[i].pcpu = &cpus[i];
	}
}

/* The vgic_hooks of a VM without guest RAM: the LPI tables are never reachable. */
static inline int vgic_no_read(struct vm *v, ipa_t src, void *dst, uint64_t size)
{
	(void)v, (void)src, (void)dst, (void)size;
	return -E_RANGE;
}

static inline int vgic_no_write(struct vm *v, ipa_t dst, const void *src, uint64_t size)
{
	(void)v, (void)dst, (void)src, (void)size;
	return -E_RANGE;
}

static inline bool vgic_no_ram(const struct vm *v, ipaddr_t ipa, uint64_t size)
{
	(void)v, (void)ipa, (void)size;
	return false;
}

#endif
