/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small printf for the console: %s %c %d %i %u %x %X %p %%, the l and ll length modifiers,
 * a field width and the 0 flag (e.g. %016lx). No floating point.
 */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>

__attribute__((format(printf, 1, 2))) void printf(const char *fmt, ...);
void vprintf(const char *fmt, va_list ap);

#endif
