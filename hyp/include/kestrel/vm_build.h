/* SPDX-License-Identifier: Apache-2.0 */
/* Building a VM: memory, stage 2, device tree, images and devices (vm_build.c). */
#ifndef KESTREL_VM_BUILD_H
#define KESTREL_VM_BUILD_H

#include <kestrel/vm.h>

/* Memory, stage 2, images and devices for a created or stopped VM. */
MUST_CHECK int vm_build(struct vm *vm);
/* The same with the images laid out but not copied yet (vm_images_step copies them). */
MUST_CHECK int vm_build_unloaded(struct vm *vm);
/* Gives back (zeroed) the pages of its vCPUs' SVE registers (vm_release). */
void vm_build_sve_release(struct vm *vm);

#endif
