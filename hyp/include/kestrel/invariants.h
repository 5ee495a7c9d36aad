/* SPDX-License-Identifier: Apache-2.0 */
/* Isolation invariants checked on a VM (invariants.c). */
#ifndef KESTREL_INVARIANTS_H
#define KESTREL_INVARIANTS_H

#include <kestrel/vm.h>

/* The VM's stage 2 against the owner table; returns the violations. */
uint64_t invariants_check_vm(const struct vm *vm, const char *when);

#endif
