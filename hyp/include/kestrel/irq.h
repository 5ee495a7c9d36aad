/* SPDX-License-Identifier: Apache-2.0 */
/* Physical interrupts taken at EL2, and passed-through devices' SPIs (irq.c). */
#ifndef KESTREL_IRQ_H
#define KESTREL_IRQ_H

#include <kestrel/vm.h>

void irq_passthrough_claim(unsigned intid, struct vm *vm);
void irq_passthrough_release(unsigned intid);
/* Takes every pending physical interrupt on this CPU. */
void irq_drain(void);

#endif
