/* SPDX-License-Identifier: Apache-2.0 */
/* VMIDs: 8 or 16 bits as ID_AA64MMFR1_EL1.VMIDBits says, never 0, each one in use once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/hyp.h>
#include <kestrel/vmid.h>

struct hyp_config hyp;

static uint8_t seen[65536];

/* The allocator's table is its own: give back every VMID a test took. */
static int free_all(void **state)
{
	(void)state;
	for (unsigned v = 1; v < 65536; v++)
		vmid_free((uint16_t)v);
	memset(seen, 0, sizeof(seen));
	return 0;
}

/* Takes VMIDs until none is left; each must be new, non-zero and below 2^bits. */
static unsigned exhaust(unsigned bits)
{
	unsigned n = 0;
	uint16_t v;

	while ((v = vmid_alloc()) != 0) {
		assert_true(v < (1u << bits));
		assert_int_equal(seen[v], 0);
		seen[v] = 1;
		n++;
		assert_true(n < (1u << bits)); /* it must stop */
	}
	return n;
}

static void first_vmid_is_1_never_0(void **state)
{
	(void)state;
	hyp.vmid_bits = 8;
	assert_int_equal(vmid_alloc(), 1);
	assert_int_equal(vmid_alloc(), 2);
}

static void eight_bit_vmids_run_out_after_255(void **state)
{
	(void)state;
	hyp.vmid_bits = 8;
	assert_int_equal(exhaust(8), 255);
	assert_int_equal(vmid_alloc(), 0);
	assert_int_equal(seen[0], 0);
}

static void sixteen_bit_vmids_run_out_after_65535(void **state)
{
	(void)state;
	hyp.vmid_bits = 16;
	assert_int_equal(exhaust(16), 65535);
	assert_int_equal(vmid_alloc(), 0);
	assert_int_equal(seen[0], 0);
	assert_int_equal(seen[255], 1);
	assert_int_equal(seen[256], 1); /* beyond 8 bits */
	assert_int_equal(seen[65535], 1);
}

static void a_freed_vmid_is_handed_out_again(void **state)
{
	(void)state;
	hyp.vmid_bits = 8;
	exhaust(8);
	vmid_free(77);
	assert_int_equal(vmid_alloc(), 77);
	assert_int_equal(vmid_alloc(), 0);
	/* The lowest free one comes first. */
	vmid_free(200);
	vmid_free(3);
	assert_int_equal(vmid_alloc(), 3);
	assert_int_equal(vmid_alloc(), 200);
}

static void freeing_0_or_a_free_vmid_changes_nothing(void **state)
{
	(void)state;
	hyp.vmid_bits = 8;
	vmid_free(0);
	vmid_free(5);
	assert_int_equal(vmid_alloc(), 1);
	assert_int_equal(exhaust(8), 254);
}

static void vmids_above_8_bits_stay_unused_with_8_bit_vmids(void **state)
{
	(void)state;
	/* 16-bit VMIDs taken, then the limit drops: nothing at or above 256 is handed out. */
	hyp.vmid_bits = 16;
	assert_int_equal(vmid_alloc(), 1);
	hyp.vmid_bits = 8;
	assert_int_equal(exhaust(8), 254);
}

#define T(fn) cmocka_unit_test_teardown(fn, free_all)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(first_vmid_is_1_never_0),
	    T(eight_bit_vmids_run_out_after_255),
	    T(sixteen_bit_vmids_run_out_after_65535),
	    T(a_freed_vmid_is_handed_out_again),
	    T(freeing_0_or_a_free_vmid_changes_nothing),
	    T(vmids_above_8_bits_stay_unused_with_8_bit_vmids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
