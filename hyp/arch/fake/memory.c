/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Physical memory on the host is the test's own: a physical address is a host pointer (a
 * test gives a VM RAM it allocated), and cache maintenance has nothing to do but be counted.
 */
#include <string.h>

#include <kestrel/mm.h>

#include <arch/fake_arch.h>

void zero_pages(paddr_t pa, uint64_t size)
{
	memset((void *)(uintptr_t)pa, 0, size);
	fake_arch.zeroings++;
	if (fake_arch.tagged_page >= pa && fake_arch.tagged_page - pa < size)
		fake_arch.tagged_page = 0;
}

bool zero_tags_left(paddr_t pa, uint64_t size)
{
	/* Host memory has no allocation tags: only the page a test says is tagged. */
	return fake_arch.tagged_page && fake_arch.tagged_page >= pa &&
	       fake_arch.tagged_page - pa < size;
}

void copy_to_pages(paddr_t dst, const void *src, uint64_t size)
{
	memcpy((void *)(uintptr_t)dst, src, size);
}

void clean_to_poc(paddr_t pa, uint64_t size)
{
	(void)pa, (void)size;
}

void invalidate_icache(void)
{
}
