/* SPDX-License-Identifier: Apache-2.0 */
/* A VM's images (kernel, initrd, device tree) copied into its RAM, whole or in pieces. */
#include <kestrel/arch.h>
#include <kestrel/fpsimd.h>
#include <kestrel/image.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/vm.h>
#include <kestrel/vm_images.h>
#include <kestrel/vm_ram.h>
#include <libfdt.h>

#define IMAGE_PIECE SZ_2M /* copied per step: a block of RAM */

/* Lays the images out in the VM's RAM (which is zero): where the kernel, initrd and DTB go. */
int vm_images_begin(struct vm *vm)
{
	const struct vm_config *cfg = &vm->config;
	const void *kernel = (const void *)(uintptr_t)cfg->kernel_pa;
	struct image_info img;
	ipaddr_t kernel_end;

	if (image_parse(kernel, cfg->kernel_size, &img) != E_OK)
		return vm_refuse(vm, "the kernel module has a malformed arm64 Image header");
	if (!img.has_header && !cfg->kernel_raw)
		return vm_refuse(vm,
				 "the kernel module is not an arm64 Image (no \"ARM\\x64\" magic): "
				 "set kernel-format = \"raw\" to load it raw");
	kernel_end = ipa_addr(vm->ram_ipa) + img.load_offset + ALIGN_UP(img.mem_size, PAGE_SIZE);
	vm->dtb_ipa = ipa_addr(vm->ram_ipa) + vm->ram_size - SZ_2M;
	vm->initrd_ipa = 0;
	if (cfg->initrd_size)
		vm->initrd_ipa = ALIGN_DOWN(vm->dtb_ipa - cfg->initrd_size, PAGE_SIZE);
	if (kernel_end > (cfg->initrd_size ? vm->initrd_ipa : vm->dtb_ipa) ||
	    cfg->initrd_size > vm->ram_size)
		return vm_refuse(vm, "kernel (%llu KiB)%s do not fit in its %llu MiB of memory",
				 (unsigned long long)(img.mem_size >> 10),
				 cfg->initrd_size ? " and initrd" : "",
				 (unsigned long long)(vm->ram_size >> 20));
	vm->entry = ipa_addr(vm->ram_ipa) + img.load_offset;
	return E_OK;
}

/* Copies [off, off + size) of an image to ipa + off: the blocks it goes into are handed over
   first (zeroed like any other), and it is cleaned to the point of coherency for a guest
   whose MMU is off. */
static int copy_piece(struct vm *vm, ipaddr_t ipa, const void *src, uint64_t off, uint64_t size)
{
	if (vm_ram_prepare(vm, ipa + off, size))
		return vm_refuse(vm, "no memory left for its stage-2 tables");
	copy_to_pages(pa_addr(vm_ram_pa(vm, ipa + off)), (const char *)src + off, size);
	clean_to_poc(pa_addr(vm_ram_pa(vm, ipa + off)), size);
	return E_OK;
}

/* The DTB, with this boot's count, and no stale instructions for the guest's first fetches. */
static int finish_images(struct vm *vm)
{
	if (vm_ram_prepare(vm, vm->dtb_ipa, vm->dtb_size))
		return vm_refuse(vm, "no memory left for its stage-2 tables");
	memcpy(pa_to_ptr(vm_ram_pa(vm, vm->dtb_ipa)), (const void *)(uintptr_t)vm->dtb_pa,
	       vm->dtb_size);
	vm->boots++;
	fpsimd_claim_for_kestrel(); /* libfdt uses FP/SIMD registers */
	fdt_setprop_inplace_u32(pa_to_ptr(vm_ram_pa(vm, vm->dtb_ipa)),
				fdt_path_offset(pa_to_ptr(vm_ram_pa(vm, vm->dtb_ipa)), "/chosen"),
				"kestrel,boot-count", (uint32_t)vm->boots);
	fpsimd_release_from_kestrel();
	clean_to_poc(pa_addr(vm_ram_pa(vm, vm->dtb_ipa)), vm->dtb_size);
	invalidate_icache();
	return E_OK;
}

/* cursor runs over the kernel's bytes, then the initrd's; a piece is at most IMAGE_PIECE. */
int vm_images_step(struct vm *vm, uint64_t *cursor, uint64_t until)
{
	const struct vm_config *cfg = &vm->config;
	uint64_t total = cfg->kernel_size + cfg->initrd_size;

	do {
		uint64_t at = *cursor, piece;
		int err;
		if (at >= total)
			return finish_images(vm);
		if (at < cfg->kernel_size) {
			piece = MIN(IMAGE_PIECE, cfg->kernel_size - at);
			err = copy_piece(vm, vm->entry, (const void *)(uintptr_t)cfg->kernel_pa, at,
					 piece);
		} else {
			at -= cfg->kernel_size;
			piece = MIN(IMAGE_PIECE, cfg->initrd_size - at);
			err = copy_piece(vm, vm->initrd_ipa,
					 (const void *)(uintptr_t)cfg->initrd_pa, at, piece);
		}
		if (err)
			return err;
		*cursor += piece;
	} while (arch_counter() < until);
	return 1;
}

/* At build time: all of the images at once. */
int vm_images_load(struct vm *vm)
{
	uint64_t cursor = 0;
	int err = vm_images_begin(vm);

	if (err)
		return err;
	do
		err = vm_images_step(vm, &cursor, 0);
	while (err > 0);
	return err;
}
