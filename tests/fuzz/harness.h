/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the fuzz harnesses: reading typed values from the fuzzer's bytes, and a check that
 * reports a broken invariant as a crash (libFuzzer saves the input; the regression driver
 * fails). Reads past the end of the input return zeros, so every input is a valid program.
 */
#ifndef KESTREL_FUZZ_HARNESS_H
#define KESTREL_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The entry point every harness defines (libFuzzer's, or driver.c's main for regressions). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline struct fuzz_in fuzz_in(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	return in;
}

static inline bool fuzz_done(const struct fuzz_in *in)
{
	return in->left == 0;
}

/* Little-endian values of n bytes (n <= 8); missing bytes read as zero. */
static inline uint64_t fuzz_uint(struct fuzz_in *in, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return (uint8_t)fuzz_uint(in, 1);
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)fuzz_uint(in, 2);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	return (uint32_t)fuzz_uint(in, 4);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_uint(in, 8);
}

/* Up to max bytes into dst; returns how many there were. */
size_t fuzz_bytes(struct fuzz_in *in, void *dst, size_t max);

/* Fails the input: prints where, the failed condition and why, then aborts. */
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* FUZZ_CHECK(condition, printf-style explanation, ...) */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                         \
	} while (0)

#endif
