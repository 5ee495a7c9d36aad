/* SPDX-License-Identifier: Apache-2.0 */
/* kestrel's console output shared by the VMs (hyp/lib/console.c). */
#ifndef KESTREL_CONSOLE_H
#define KESTREL_CONSOLE_H

#include <kestrel/types.h>

/* How a VM's output lines are marked when several VMs share the console. */
struct console_label {
	const char *name;
	bool prefix;	/* "[name] " before each line */
	unsigned color; /* 0 or an ANSI colour (31..36) for the whole line */
};

/* Console: a VM's output character; with several VMs, each line carries the VM's label. */
void console_vm_putc(const void *vm, const struct console_label *label, char c);
void console_set_prefix(bool on);
void console_forget_line(void);
/* One whole line of a VM's output, labelled. */
void console_vm_line(const void *vm, const struct console_label *label, const char *text,
		     size_t len);

#endif
