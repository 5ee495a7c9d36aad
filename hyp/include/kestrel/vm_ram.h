/* SPDX-License-Identifier: Apache-2.0 */
/* A VM's RAM: handed over on first touch, scrubbed, and the checked copies device models use
 * (vm_ram.c). */
#ifndef KESTREL_VM_RAM_H
#define KESTREL_VM_RAM_H

#include <kestrel/vm.h>

MUST_CHECK int vm_ram_setup(struct vm *vm);
/* Where an IPA of the VM's RAM is (the caller knows it is RAM: vm_ipa_is_ram). */
pa_t vm_ram_pa(const struct vm *vm, ipaddr_t ipa);
MUST_CHECK int vm_ram_prepare(struct vm *vm, ipaddr_t ipa, uint64_t size);
/* A stage-2 abort (esr) at ipa: true if it was RAM not handed over yet, which now is. */
bool vm_ram_fault(struct vm *vm, ipaddr_t ipa, uint64_t esr);
/* Zeroes the RAM the VM was given, from block *cursor on, until the counter passes until:
   true when all of it is zero. */
bool vm_ram_scrub_step(struct vm *vm, uint64_t *cursor, uint64_t until);
void vm_ram_scrub(struct vm *vm);
/* Whether every block of its RAM is zeroed when it is handed over (on first touch): then a
   restart needs no scrub, only vm_ram_unmap; what the last boot wrote stays the VM's, out of
   its stage 2, until a touch zeroes it or the stop scrubs it. */
bool vm_ram_zeroed_on_touch(const struct vm *vm);
/* Takes all of its RAM out of stage 2 (lazy VMs: blocks appear again on first touch). */
void vm_ram_unmap(struct vm *vm);
/* The checked copies device models use: E_OK, or -E_RANGE unless all of [ipa, ipa + size) is
   the VM's own RAM (size 0 is always E_OK). */
MUST_CHECK int vm_ram_copy_from_guest(struct vm *vm, ipa_t src, void *dst, uint64_t size);
MUST_CHECK int vm_ram_copy_to_guest(struct vm *vm, ipa_t dst, const void *src, uint64_t size);
/* The same check for a machine device's DMA: each of the n ranges (seg[].pa an IPA on the way
   in, len > 0) becomes the physical address of its range, handed over first so no first touch
   zeroes it later; its stop must wait for the device (vm_virtio_stop) before the RAM is
   scrubbed. -E_RANGE (seg[] then means nothing) unless all are the VM's own RAM. */
MUST_CHECK int vm_ram_dma(struct vm *vm, struct dma_seg *seg, unsigned n);
/* The same check for a virtqueue's rings, read and written in place while the queue is ready:
   kestrel's pointer to [ipa, ipa + size) (size > 0), handed over first; NULL unless all of it
   is the VM's own RAM. The VM's stop resets its devices before the RAM is scrubbed. */
void *vm_ram_map(struct vm *vm, ipa_t ipa, uint64_t size);

#endif
