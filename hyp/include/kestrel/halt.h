/* SPDX-License-Identifier: Apache-2.0 */
/* Stopping the whole machine when kestrel cannot go on. */
#ifndef KESTREL_HALT_H
#define KESTREL_HALT_H

#include <kestrel/types.h>

/*
 * Stops every other CPU that is running, and waits for them (at most HALT_WAIT_MS): after a
 * panic, no CPU may go on running guests on state kestrel no longer trusts. Returns how many
 * stopped; *running says how many were running. A second caller, on another CPU, halts at
 * once: the first one reports.
 */
unsigned halt_other_cpus(unsigned *running);

/* SGI_HALT arrived: another CPU panicked. */
NORETURN void halt_this_cpu(void);

#define HALT_WAIT_MS 10

#endif
