/* SPDX-License-Identifier: Apache-2.0 */
/* Devices passed through to a VM (vm_passthrough.c). */
#ifndef KESTREL_VM_PASSTHROUGH_H
#define KESTREL_VM_PASSTHROUGH_H

#include <kestrel/vm.h>

/* Their registers, at the same address in the guest (Device memory). */
MUST_CHECK int vm_passthrough_map(struct vm *vm);
/* Whether [pa, pa + size) lies in the registers of a device passed through to vm. */
bool vm_passthrough_covers(const struct vm *vm, paddr_t pa, uint64_t size);
/* Their SPIs go to the CPU of the VM's first vCPU as it starts, and back as it is released. */
void vm_passthrough_route(struct vm *vm);
void vm_passthrough_release(struct vm *vm);

#endif
