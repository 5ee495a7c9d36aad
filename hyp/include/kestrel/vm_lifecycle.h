/* SPDX-License-Identifier: Apache-2.0 */
/* Stopping, restarting, crashing and starting a VM: requests, carried out by a scheduler loop
 * (vm_lifecycle.c). */
#ifndef KESTREL_VM_LIFECYCLE_H
#define KESTREL_VM_LIFECYCLE_H

#include <kestrel/vm.h>

/* See VM_REQ_*. why is a string that lives for ever. */
void vm_request(struct vm *vm, uint32_t req, const char *why);
/* The scheduler loop of self: pieces of the VMs' lifecycle jobs until the counter passes
   until; true while a job is under way (the loop comes back soon, without sleeping). */
bool vm_lifecycle_work(struct pcpu *self, uint64_t until);

#endif
