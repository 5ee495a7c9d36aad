/* SPDX-License-Identifier: Apache-2.0 */
/* A VM's images copied into its RAM, whole or in pieces (vm_images.c). */
#ifndef KESTREL_VM_IMAGES_H
#define KESTREL_VM_IMAGES_H

#include <kestrel/vm.h>

/* Its images, again, into RAM made empty: vm_images_begin lays them out, then each
   vm_images_step copies a piece until the counter passes until (1: more, 0: done, < 0: the
   images cannot be placed). cursor starts at 0. */
MUST_CHECK int vm_images_begin(struct vm *vm);
MUST_CHECK int vm_images_step(struct vm *vm, uint64_t *cursor, uint64_t until);
/* All of them at once, as a VM is built. */
MUST_CHECK int vm_images_load(struct vm *vm);

#endif
