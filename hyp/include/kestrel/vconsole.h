/* SPDX-License-Identifier: Apache-2.0 */
/* A VM's console: its output and the console's input (vconsole.c). */
#ifndef KESTREL_VCONSOLE_H
#define KESTREL_VCONSOLE_H

#include <kestrel/vm.h>

/* A character of the VM's console output. */
void vconsole_output(struct vm *vm, char c);

/* The physical UART has input: hand it to the VM that has the console. */
void vconsole_input_irq(void);
/* Once the VMs exist: focus on the first one, and say how to switch. */
void vconsole_start(unsigned nvms);

#endif
