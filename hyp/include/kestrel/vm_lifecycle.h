/* SPDX-License-Identifier: Apache-2.0 */
/* Stopping, restarting, crashing and starting a VM: requests, carried out by a scheduler loop
 * (vm_lifecycle.c). */
#ifndef KESTREL_VM_LIFECYCLE_H
#define KESTREL_VM_LIFECYCLE_H

#include <kestrel/vm.h>

/* See VM_REQ_*. why is a string that lives for ever. */
void vm_lifecycle_request(struct vm *vm, uint32_t req, const char *why);
/* Whether pcpu carries out a job (or a request not taken yet) of vm: the turns of vm's vCPUs
   on pcpu are the job's then (sched.c). */
bool vm_lifecycle_has_job(const struct vm *vm, const struct pcpu *pcpu);
/* The scheduler loop of self: pieces of turn's job (if not NULL: the turn of one of its
   vCPUs) until the counter passes until, and the jobs that have no turn on self (their VM
   has no vCPU here) if time is left; true while self has a job under way (the loop comes
   back soon, without sleeping). */
bool vm_lifecycle_work(struct pcpu *self, struct vm *turn, uint64_t until);

#endif
