/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attacking in alternate windows (alternate-ms=A): an attacker beside the victim works only
 * while the physical count, the same in every VM, is in an even window of A ms, and sleeps
 * through the odd ones. The victim (guests/hostile/victim.c) compares its rate in the two,
 * so its share under attack is measured against its rate alone in the same run, whatever
 * the host's load, and the suite can fail on it.
 */
#ifndef GUEST_ALTERNATE_H
#define GUEST_ALTERNATE_H

#include <stdbool.h>
#include <stdint.h>

/* From the bootarg alternate-ms (0: attack all the time). Needs this vCPU's redistributor up
   (gic_cpu_init): the physical EL1 timer's PPI ends the sleeps. */
void alternate_init(void);
/* Whether the physical count is in a quiet window. */
bool alternate_quiet(void);
/* In a quiet window: WFI to its end, woken by the physical EL1 timer, interrupts masked
   (the timer is off again before it returns, so its interrupt is no longer pending). */
void alternate_rest(void);

#endif
