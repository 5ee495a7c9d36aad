/* SPDX-License-Identifier: Apache-2.0 */
/* A VM's virtio devices (vm_virtio.c). */
#ifndef KESTREL_VM_VIRTIO_H
#define KESTREL_VM_VIRTIO_H

#include <kestrel/vm.h>

/* the VM's virtio devices, set up each time the VM is built; reset under their
   locks (vm_virtio_stop) before its RAM is scrubbed or given back, and so as after a reset when
   it restarts. A disk whose machine disk is missing refuses the VM (-E_NOENT, said why). */
MUST_CHECK int vm_virtio_build(struct vm *vm);
void vm_virtio_stop(struct vm *vm);
/* Its virtio-mmio window, or NULL when it has no virtio device. */
struct mmio_dev *vm_virtio_attach(struct vm *vm);
/* One line per virtio-net port: its switch, MAC and counters (the stop report, `stats`). */
void vm_virtio_print_stats(const struct vm *vm);
/* Console input: true if the VM's virtio console took it (its driver has it running). */
bool vm_virtio_console_input(struct vm *vm, char c);

#endif
