/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memcpy and memset at EL2. Large copies are most of what kestrel's virtual devices cost: a
 * disk's data moves through kestrel's buffer and every frame through a switch queue, each byte
 * loaded and stored by kestrel. Where the CPU has FEAT_MOPS (ID_AA64ISAR2_EL1.MOPS), the
 * CPYF and SET instruction triples do a whole copy or fill, as fast as the CPU can (under
 * QEMU's TCG, a host memmove a page at a time instead of an emulated load and store per
 * word). EL2 may always use them (HCRX_EL2.MSCEn only concerns EL1 and EL0), and SCTLR_EL2.A
 * is clear, so any alignment is fine.
 *
 * Below MOPS_MIN bytes the plain loops are kept: for a header or a descriptor they are as
 * fast, and the exit costs `make bench` counts in instructions stay comparable between CPUs
 * with and without MOPS (QEMU counts each of the three instructions once, whatever they move).
 */
#include <kestrel/arch.h>
#include <kestrel/lib.h>
#include <kestrel/sysreg_defs.h>

#define MOPS_MIN 256

/* Set once at boot, before any other CPU runs; false until then (bss), so early copies loop. */
static bool use_mops;

void arch_memops_init(void)
{
	use_mops = FIELD(arch_id_reg(ARCH_ID_AA64ISAR2), 16, 4) != 0;
}

/* The forward-only copy (CPYF*: the areas do not overlap, as memcpy requires). */
static void mops_copy(void *dst, const void *src, size_t n)
{
	__asm__ volatile(".arch_extension mops\n\t"
			 "cpyfp [%0]!, [%1]!, %2!\n\t"
			 "cpyfm [%0]!, [%1]!, %2!\n\t"
			 "cpyfe [%0]!, [%1]!, %2!"
			 : "+r"(dst), "+r"(src), "+r"(n)
			 :
			 : "cc", "memory");
}

static void mops_set(void *dst, uint64_t c, size_t n)
{
	__asm__ volatile(".arch_extension mops\n\t"
			 "setp [%0]!, %1!, %2\n\t"
			 "setm [%0]!, %1!, %2\n\t"
			 "sete [%0]!, %1!, %2"
			 : "+r"(dst), "+r"(n)
			 : "r"(c)
			 : "cc", "memory");
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (n >= MOPS_MIN && use_mops) {
		mops_copy(dst, src, n);
		return dst;
	}
	/* Word copies when both sides allow it: guest images and DTBs are copied with this. */
	if (IS_ALIGNED((uintptr_t)d | (uintptr_t)s, 8)) {
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	if (n >= MOPS_MIN && use_mops) {
		mops_set(dst, (unsigned char)c, n);
		return dst;
	}
	if (c == 0 && IS_ALIGNED((uintptr_t)d, 8)) {
		for (; n >= 8; n -= 8, d += 8)
			*(uint64_t *)(void *)d = 0;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}
