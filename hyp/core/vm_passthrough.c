/* SPDX-License-Identifier: Apache-2.0 */
/* Devices passed through to a VM: their registers in its stage 2, their SPIs routed to it. */
#include <kestrel/hostdt.h>
#include <kestrel/hyp.h>
#include <kestrel/irq.h>
#include <kestrel/lib.h>
#include <kestrel/platform.h>
#include <kestrel/vm.h>
#include <kestrel/vm_passthrough.h>

/* Register region i of passed-through device d, widened to whole pages: [*base, *end). */
static bool passthrough_range(const struct vm *vm, unsigned d, int i, paddr_t *base, paddr_t *end)
{
	uint64_t addr, size;

	if (hostdt_reg(platform.fdt, vm->config.passthrough[d], i, &addr, &size) != E_OK)
		return false;
	*base = ALIGN_DOWN(addr, PAGE_SIZE);
	*end = ALIGN_UP(addr + size, PAGE_SIZE);
	return true;
}

/* Device pages [base, end), one by one, skipping those another region of the VM mapped. */
static int map_device_pages(struct vm *vm, paddr_t base, paddr_t end)
{
	for (paddr_t pa = base; pa < end; pa += PAGE_SIZE) {
		int err = s2pt_map(&vm->s2, ipa_from_pa(pa_init(pa)), pa_init(pa), PAGE_SIZE,
				   PT_R | PT_W | PT_DEVICE);
		if (err && err != -E_EXIST)
			return err;
	}
	return E_OK;
}

/* A passed-through device's registers, at the same address in the guest (Device memory). */
int vm_passthrough_map(struct vm *vm)
{
	paddr_t base, end;

	for (unsigned d = 0; d < vm->config.npassthrough; d++)
		for (int i = 0; passthrough_range(vm, d, i, &base, &end); i++) {
			int err = s2pt_map(&vm->s2, ipa_from_pa(pa_init(base)), pa_init(base),
					   end - base, PT_R | PT_W | PT_DEVICE);
			if (err == -E_EXIST) /* a page shared with another region */
				err = map_device_pages(vm, base, end);
			if (err)
				return err;
		}
	return E_OK;
}

bool vm_passthrough_covers(const struct vm *vm, paddr_t pa, uint64_t size)
{
	paddr_t base, end;

	for (unsigned d = 0; d < vm->config.npassthrough; d++)
		for (int i = 0; passthrough_range(vm, d, i, &base, &end); i++)
			if (pa >= base && pa + size <= end)
				return true;
	return false;
}

/* Physical SPIs of passed-through devices go to the CPU of the VM's first vCPU. */
void vm_passthrough_route(struct vm *vm)
{
	for (unsigned i = 0; i < vm->config.nspis; i++)
		irq_passthrough_claim(vm->config.spi_intids[i], vm);
}

void vm_passthrough_release(struct vm *vm)
{
	/* vmconfig checked them: SPIs the vGIC has, below the doorbells, no other VM's. */
	for (unsigned i = 0; i < vm->config.nspis; i++)
		irq_passthrough_release(vm->config.spi_intids[i]);
}
