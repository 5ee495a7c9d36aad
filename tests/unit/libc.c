/* SPDX-License-Identifier: Apache-2.0 */
/* What kestrel's lib.h declares and the host's C library lacks (glibc before 2.38 has no
   strlcpy), for the host unit tests and fuzz harnesses: the BSD function. */
#include <string.h>

size_t strlcpy(char *dst, const char *src, size_t size);
size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
