/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The isolation invariant checker: a VM's stage 2 may map only its own pages, shared regions it
 * is a member of, and its passed-through devices' registers at their own address. Each other
 * kind of mapping must be reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/hyp.h>
#include <kestrel/invariants.h>
#include <kestrel/mm.h>
#include <kestrel/shm.h>
#include <kestrel/vm.h>
#include <kestrel/vm_passthrough.h>

#include <arch/fake_arch.h>
#include <arch/fake_drivers.h>

#define RAM_BASE  0x40000000ull
#define RAM_SIZE  (64ull << 20)
#define VM_PA	  0x40200000ull
#define SHM_PA	  0x41200000ull
#define DEV_PA	  0x0a003000ull
#define SHM_OWNER ((owner_t)(OWNER_VM_BASE + VM_MAX))

struct palloc mm_pages;
static owner_t owners[RAM_SIZE >> PAGE_SHIFT];
static struct vm vm;
static char last_message[256];
static unsigned messages;

/* kestrel's console lines, as the fake UART gets them: the last one, and how many. */
static void uart_byte(char c)
{
	static char line[sizeof(last_message)];
	static size_t len;

	if (c == '\n') {
		line[len] = 0;
		memcpy(last_message, line, len + 1);
		len = 0;
		messages++;
	} else if (c != '\r' && len < sizeof(line) - 1) {
		line[len++] = c;
	}
}

bool shm_owner_shared_with(uint16_t owner, const struct vm *v)
{
	return owner == SHM_OWNER && v == &vm;
}

bool vm_passthrough_covers(const struct vm *v, paddr_t pa, uint64_t size)
{
	return v == &vm && pa >= DEV_PA && pa + size <= DEV_PA + PAGE_SIZE;
}

/* Stage-2 tables in host memory; the mapped "physical" pages are never touched. */
static paddr_t host_alloc(void *ctx, unsigned npages)
{
	void *p = aligned_alloc(PAGE_SIZE * npages, PAGE_SIZE * npages);

	(void)ctx;
	if (p)
		memset(p, 0, PAGE_SIZE * npages);
	return (paddr_t)(uintptr_t)p;
}

static void host_free(void *ctx, paddr_t pa, unsigned npages)
{
	(void)ctx, (void)npages;
	free((void *)(uintptr_t)pa);
}

static void *host_va(void *ctx, paddr_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static void no_flush(void *ctx, uint64_t ia, uint64_t size)
{
	(void)ctx, (void)ia, (void)size;
}

static const struct pgtable_mm host_mm = {host_alloc, host_free, host_va, no_flush, NULL};

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.id = 1;
	strcpy(vm.name, "guest");
	palloc_init(&mm_pages, RAM_BASE, RAM_SIZE, owners);
	palloc_reserve(&mm_pages, RAM_BASE, SZ_2M, OWNER_KESTREL);
	palloc_reserve(&mm_pages, VM_PA, 16ull << 20, OWNER_VM(1));
	palloc_reserve(&mm_pages, SHM_PA, PAGE_SIZE, SHM_OWNER);
	assert_int_equal(pgtable_init(&vm.s2, 40, true, &host_mm), 0);
	/* What a correct VM has: its RAM, a shared page, a device's registers. */
	assert_int_equal(pgtable_map(&vm.s2, 0x40000000, VM_PA, 16ull << 20, PT_R | PT_W | PT_X),
			 0);
	assert_int_equal(pgtable_map(&vm.s2, 0x10000000, SHM_PA, PAGE_SIZE, PT_R | PT_W), 0);
	assert_int_equal(pgtable_map(&vm.s2, DEV_PA, DEV_PA, PAGE_SIZE, PT_R | PT_W | PT_DEVICE),
			 0);
	fake_drivers.uart_observer = uart_byte;
	messages = 0;
	hyp.has_mte = false;
	fake_arch.tagged_page = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pgtable_destroy(&vm.s2);
	return 0;
}

static void a_correct_vm_has_no_violations(void **state)
{
	(void)state;
	assert_int_equal(invariants_check_vm(&vm, "built"), 0);
	assert_non_null(strstr(last_message, "0 violations"));
	/* 8 blocks of 2 MiB, the shared page, the device page (devices have no owner pages) */
	assert_non_null(strstr(last_message, "10 mappings (4097 pages)"));
}

static void mapping_kestrels_memory_is_reported(void **state)
{
	(void)state;
	assert_int_equal(pgtable_map(&vm.s2, 0x50000000, RAM_BASE, PAGE_SIZE, PT_R), 0);
	assert_int_equal(invariants_check_vm(&vm, "built"), 1);
	assert_int_equal(messages, 2);
}

static void mapping_another_vms_or_a_free_page_is_reported(void **state)
{
	(void)state;
	palloc_reserve(&mm_pages, 0x42000000, PAGE_SIZE, OWNER_VM(2));
	assert_int_equal(pgtable_map(&vm.s2, 0x50000000, 0x42000000, PAGE_SIZE, PT_R), 0);
	assert_int_equal(pgtable_map(&vm.s2, 0x50001000, 0x43000000, PAGE_SIZE, PT_R), 0);
	assert_int_equal(invariants_check_vm(&vm, "stopped"), 2);
}

static void a_block_with_one_foreign_page_is_reported(void **state)
{
	(void)state;
	/* A 2 MiB block whose last page belongs to kestrel. */
	palloc_reserve(&mm_pages, 0x43000000, SZ_2M - PAGE_SIZE, OWNER_VM(1));
	palloc_reserve(&mm_pages, 0x43000000 + SZ_2M - PAGE_SIZE, PAGE_SIZE, OWNER_KESTREL);
	assert_int_equal(pgtable_map(&vm.s2, 0x60000000, 0x43000000, SZ_2M, PT_R | PT_W), 0);
	assert_int_equal(invariants_check_vm(&vm, "stopped"), 1);
	assert_non_null(strstr(last_message, "1 violations"));
}

/* Where memory has allocation tags, a page of the VM's own holding one is a violation (it
   was zeroed when handed over, and scrubbed before the stop's walk); a shared region's tags
   are its members' to share; without MTE nothing is read. */
static void a_page_of_its_own_with_a_tag_left_is_reported(void **state)
{
	(void)state;
	hyp.has_mte = true;
	assert_int_equal(invariants_check_vm(&vm, "stopped"), 0);
	fake_arch.tagged_page = VM_PA + 5 * PAGE_SIZE;
	messages = 0;
	assert_int_equal(invariants_check_vm(&vm, "stopped"), 1);
	assert_int_equal(messages, 2); /* the violation, then the summary */
	assert_non_null(strstr(last_message, "1 violations"));
	fake_arch.tagged_page = SHM_PA;
	assert_int_equal(invariants_check_vm(&vm, "stopped"), 0);
	fake_arch.tagged_page = VM_PA;
	hyp.has_mte = false;
	assert_int_equal(invariants_check_vm(&vm, "stopped"), 0);
}

static void device_memory_must_be_its_own_device_at_its_own_address(void **state)
{
	(void)state;
	/* The right device at another guest address, then a device it was not given. */
	assert_int_equal(pgtable_map(&vm.s2, 0x0b000000, DEV_PA, PAGE_SIZE, PT_R | PT_DEVICE), 0);
	assert_int_equal(
	    pgtable_map(&vm.s2, 0x09000000, 0x09000000, PAGE_SIZE, PT_R | PT_W | PT_DEVICE), 0);
	assert_int_equal(invariants_check_vm(&vm, "built"), 2);
}

static void a_shared_region_of_other_vms_is_reported(void **state)
{
	(void)state;
	palloc_reserve(&mm_pages, 0x44000000, PAGE_SIZE, (owner_t)(SHM_OWNER + 1));
	assert_int_equal(pgtable_map(&vm.s2, 0x10001000, 0x44000000, PAGE_SIZE, PT_R), 0);
	assert_int_equal(invariants_check_vm(&vm, "built"), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(a_correct_vm_has_no_violations),
	    T(mapping_kestrels_memory_is_reported),
	    T(mapping_another_vms_or_a_free_page_is_reported),
	    T(a_page_of_its_own_with_a_tag_left_is_reported),
	    T(a_block_with_one_foreign_page_is_reported),
	    T(device_memory_must_be_its_own_device_at_its_own_address),
	    T(a_shared_region_of_other_vms_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
