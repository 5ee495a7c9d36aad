/* SPDX-License-Identifier: Apache-2.0 */
/* Guests' stage-2 aborts: MMIO, RAM's first touch, stray accesses (abort.c). */
#ifndef KESTREL_ABORT_H
#define KESTREL_ABORT_H

#include <kestrel/exit_result.h>

exit_fn abort_dabt_exit;
exit_fn abort_iabt_exit;

#endif
