/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the fuzz harnesses: see harness.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

size_t fuzz_bytes(struct fuzz_in *in, void *dst, size_t max)
{
	size_t n = in->left < max ? in->left : max;

	if (n)
		memcpy(dst, in->p, n);
	in->p += n;
	in->left -= n;
	return n;
}

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: check failed: %s\n    ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
