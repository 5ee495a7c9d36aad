/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Isolation invariants, checked against the page-owner table: every stage-2 mapping of a VM
 * points at pages that VM owns, at a shared region it is a member of, or (as Device memory,
 * at the same address) at the registers of a device passed through to it. Nothing else:
 * not kestrel's code, data, page tables or vCPU state, not another VM's pages, not the GIC or
 * the UART kestrel drives. Checked when a VM is built and when it stops; where memory has
 * allocation tags, the VM's own pages must hold none then (zeroed when handed over, scrubbed
 * before the stop).
 */
#include <kestrel/hyp.h>
#include <kestrel/invariants.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/shm.h>
#include <kestrel/vm.h>
#include <kestrel/vm_passthrough.h>

#define REPORT_MAX 4

struct check {
	const struct vm *vm;
	uint64_t leaves, pages, violations;
};

static void violation(struct check *c, uint64_t ia, paddr_t pa, const char *why)
{
	if (c->violations++ < REPORT_MAX)
		kprintf("invariant violated: vm '%s' maps IPA 0x%llx to PA 0x%llx, %s", c->vm->name,
			(unsigned long long)ia, (unsigned long long)pa, why);
}

static void check_leaf(void *arg, uint64_t ia, paddr_t pa, uint64_t size, unsigned perms)
{
	struct check *c = arg;

	c->leaves++;
	if (perms & PT_DEVICE) {
		if (ia != pa || !vm_passthrough_covers(c->vm, pa, size))
			violation(c, ia, pa, "Device memory that is no device of its own");
		return;
	}
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		owner_t owner = palloc_owner(&mm_pages, pa + off);
		c->pages++;
		if (owner == OWNER_VM(c->vm->id)) {
			/* Zeroed with its tags when handed over, scrubbed before the stop's walk:
			   a tag left is one the VM was given, or would hand on. (A shared region's
			   tags are its members' to share.) */
			if (hyp.has_mte && zero_tags_left(pa + off, PAGE_SIZE)) {
				violation(c, ia + off, pa + off,
					  "a page whose allocation tags are not zero");
				break;
			}
			continue;
		}
		if (shm_owner_shared_with(owner, c->vm))
			continue;
		violation(c, ia + off, pa + off,
			  owner == OWNER_KESTREL ? "a page of kestrel's"
			  : owner == OWNER_FREE	 ? "a free page"
						 : "a page it does not own");
		break; /* one report per leaf is enough */
	}
}

uint64_t invariants_check_vm(const struct vm *vm, const char *when)
{
	struct check c = {vm, 0, 0, 0};

	pgtable_for_each_leaf(&vm->s2, check_leaf, &c);
	kprintf("invariants: vm '%s' %s: %llu mappings (%llu pages) checked, %llu violations",
		vm->name, when, (unsigned long long)c.leaves, (unsigned long long)c.pages,
		(unsigned long long)c.violations);
	return c.violations;
}
