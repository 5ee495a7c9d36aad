/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A VM's RAM, handed over lazily. Zeroing all of a VM's memory before it starts cost more
 * wall time than the guest's own boot (QEMU emulates every store), and most of it is not
 * touched for a long while. So a 2 MiB block of RAM is zeroed and mapped in stage 2 when the
 * guest first touches it (a stage-2 translation fault), as a hosted hypervisor's memory is
 * populated on demand. The guest still never sees a byte it did not write: a block is zero
 * when it appears, and every block that appeared is zeroed again when the VM gives it back.
 * Every stage-2 table those blocks go into is allocated when the VM is built and kept until
 * it is released: a first touch only writes a block descriptor, so a guest never loses its
 * own RAM because kestrel ran out of pages while it ran.
 *
 * Direct-mapped VMs and VMs with passed-through devices get all of their RAM zeroed and
 * mapped before they start: a device's DMA goes to physical memory without any stage-2
 * fault, so it must never reach a block that is zeroed later.
 */
#include <kestrel/arch.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>
#include <kestrel/vm_ram.h>

#define BLOCK	 SZ_2M
#define RAM_PERM (PT_R | PT_W | PT_X)

static bool block_ready(const struct vm *vm, uint64_t b)
{
	return vm->ram_ready[b / 64] & BIT(b % 64);
}

static bool block_dirty(const struct vm *vm, uint64_t b)
{
	return vm->ram_dirty[b / 64] & BIT(b % 64);
}

/* Zeroes and maps block b; the caller holds ram_lock. */
static int ready_block(struct vm *vm, uint64_t b)
{
	int err;

	if (block_ready(vm, b))
		return E_OK;
	zero_pages(pa_addr(vm->ram_pa) + b * BLOCK, BLOCK);
	clean_to_poc(pa_addr(vm->ram_pa) + b * BLOCK, BLOCK);
	err = s2pt_map(&vm->s2, ipa_add(vm->ram_ipa, b * BLOCK), pa_add(vm->ram_pa, b * BLOCK),
		       BLOCK, RAM_PERM);
	if (err)
		return err;
	vm->ram_ready[b / 64] |= BIT(b % 64);
	vm->ram_dirty[b / 64] |= BIT(b % 64);
	vm->ram_blocks_ready++;
	return E_OK;
}

int vm_ram_setup(struct vm *vm)
{
	uint64_t blocks = vm->ram_size / BLOCK;

	memset(vm->ram_ready, 0, sizeof(vm->ram_ready));
	memset(vm->ram_dirty, 0, sizeof(vm->ram_dirty));
	vm->ram_blocks_ready = 0;
	vm->ram_lazy =
	    !vm->config.direct_map && !vm->config.npassthrough &&
	    IS_ALIGNED(ipa_addr(vm->ram_ipa) | pa_addr(vm->ram_pa) | vm->ram_size, BLOCK) &&
	    blocks <= VM_RAM_LAZY_BLOCKS;
	if (vm->ram_lazy)
		return s2pt_prealloc(&vm->s2, vm->ram_ipa, vm->ram_size, BLOCK);
	zero_pages(pa_addr(vm->ram_pa), vm->ram_size);
	clean_to_poc(pa_addr(vm->ram_pa), vm->ram_size);
	return s2pt_map(&vm->s2, vm->ram_ipa, vm->ram_pa, vm->ram_size, RAM_PERM);
}

/* Whether every block of [ipa, ipa + size) is handed over already (no lock: a block once
   ready stays so while the VM runs). */
static bool blocks_ready(const struct vm *vm, ipaddr_t ipa, uint64_t size)
{
	for (uint64_t b = (ipa - ipa_addr(vm->ram_ipa)) / BLOCK;
	     b <= (ipa + size - 1 - ipa_addr(vm->ram_ipa)) / BLOCK; b++)
		if (!block_ready(vm, b))
			return false;
	return true;
}

int vm_ram_prepare(struct vm *vm, ipaddr_t ipa, uint64_t size)
{
	int err = E_OK;

	if (!vm->ram_lazy || !size || blocks_ready(vm, ipa, size))
		return E_OK;
	spin_lock(&vm->ram_lock);
	for (uint64_t b = (ipa - ipa_addr(vm->ram_ipa)) / BLOCK;
	     !err && b <= (ipa + size - 1 - ipa_addr(vm->ram_ipa)) / BLOCK; b++)
		err = ready_block(vm, b);
	spin_unlock(&vm->ram_lock);
	return err;
}

bool vm_ram_fault(struct vm *vm, ipaddr_t ipa, uint64_t esr)
{
	int err;

	if (!vm->ram_lazy || ipa - ipa_addr(vm->ram_ipa) >= vm->ram_size ||
	    !FSC_IS_TRANSLATION(ESR_ISS(esr) & 0x3f))
		return false;
	spin_lock(&vm->ram_lock);
	err = ready_block(vm, (ipa - ipa_addr(vm->ram_ipa)) / BLOCK);
	spin_unlock(&vm->ram_lock);
	/* Its table was made with the VM: only something else mapped there could fail it. */
	if (err)
		return false;
	dsb(ishst); /* the new descriptor is visible to the table walk before the retry */
	return true;
}

/* A piece of scrubbing: block b (2 MiB) of the RAM, if a guest may have written it. */
bool vm_ram_scrub_step(struct vm *vm, uint64_t *cursor, uint64_t until)
{
	uint64_t blocks = ALIGN_UP(vm->ram_size, BLOCK) / BLOCK;

	while (*cursor < blocks) {
		uint64_t b = (*cursor)++;
		if (!vm->ram_lazy) {
			/* Mapped whole for the VM's life: a restarted guest (MMU off, a device's
			   DMA) sees it at the point of coherency. */
			uint64_t size = MIN(BLOCK, vm->ram_size - b * BLOCK);
			zero_pages(pa_addr(vm->ram_pa) + b * BLOCK, size);
			clean_to_poc(pa_addr(vm->ram_pa) + b * BLOCK, size);
		} else if (block_dirty(vm, b)) {
			zero_pages(pa_addr(vm->ram_pa) + b * BLOCK, BLOCK);
			vm->ram_dirty[b / 64] &= ~BIT(b % 64);
		}
		if (arch_counter() >= until)
			break;
	}
	return *cursor >= blocks;
}

void vm_ram_scrub(struct vm *vm)
{
	uint64_t cursor = 0;

	while (!vm_ram_scrub_step(vm, &cursor, ~0ull))
		;
}

bool vm_ram_zeroed_on_touch(const struct vm *vm)
{
	return vm->ram_lazy;
}

void vm_ram_unmap(struct vm *vm)
{
	if (!vm->ram_lazy)
		return; /* mapped whole for its life: the scrubbed RAM stays where it is */
	/* One unmap of the whole RAM, so one TLB flush, not one per block. */
	s2pt_unmap(&vm->s2, vm->ram_ipa, vm->ram_size);
	memset(vm->ram_ready, 0, sizeof(vm->ram_ready));
	vm->ram_blocks_ready = 0;
}

pa_t vm_ram_pa(const struct vm *vm, ipaddr_t ipa)
{
	return pa_add(vm->ram_pa, ipa - ipa_addr(vm->ram_ipa));
}

/*
 * The device models' only way into a guest's memory (DESIGN.md §10): a copy to or from the VM's
 * own RAM, checked whole before a byte moves (never kestrel's memory, another VM's or a shared
 * region), with arithmetic that cannot overflow. RAM not handed over yet is handed over first,
 * as a guest's own first touch would.
 */
static inline int take_ram(struct vm *vm, ipaddr_t ipa, uint64_t size)
{
	if (!vm_ipa_is_ram(vm, ipa, size) || !pa_addr(vm->ram_pa))
		return -E_RANGE;
	/* inline while handed over already: a disk request checks a range per page */
	return vm->ram_lazy && !blocks_ready(vm, ipa, size) ? vm_ram_prepare(vm, ipa, size) : E_OK;
}

static void *guest_ram(struct vm *vm, ipa_t ipa, uint64_t size, int *err)
{
	*err = take_ram(vm, ipa_addr(ipa), size);
	return *err ? NULL : pa_to_ptr(vm_ram_pa(vm, ipa_addr(ipa)));
}

int vm_ram_copy_from_guest(struct vm *vm, ipa_t src, void *dst, uint64_t size)
{
	int err;
	void *p;

	if (!size)
		return E_OK;
	p = guest_ram(vm, src, size, &err);
	if (p)
		memcpy(dst, p, size);
	return err;
}

int vm_ram_copy_to_guest(struct vm *vm, ipa_t dst, const void *src, uint64_t size)
{
	int err;
	void *p;

	if (!size)
		return E_OK;
	p = guest_ram(vm, dst, size, &err);
	if (p)
		memcpy(p, src, size);
	return err;
}

void *vm_ram_map(struct vm *vm, ipa_t ipa, uint64_t size)
{
	int err;

	return size ? guest_ram(vm, ipa, size, &err) : NULL;
}

int vm_ram_dma(struct vm *vm, struct dma_seg *seg, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int err = seg[i].len ? take_ram(vm, seg[i].pa, seg[i].len) : -E_RANGE;
		if (err)
			return err;
		seg[i].pa = pa_addr(vm_ram_pa(vm, seg[i].pa));
	}
	return E_OK;
}
