/* SPDX-License-Identifier: Apache-2.0 */
/* Building a VM: memory, stage 2, its device tree, images and emulated devices. */
#include <kestrel/gicv3.h>
#include <kestrel/fpsimd.h>
#include <kestrel/guest_dtb.h>
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/invariants.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/platform.h>
#include <kestrel/shm.h>
#include <kestrel/sve.h>
#include <kestrel/vconsole.h>
#include <kestrel/vgic_hooks.h>
#include <kestrel/vm.h>
#include <kestrel/vm_build.h>
#include <kestrel/vm_images.h>
#include <kestrel/vm_passthrough.h>
#include <kestrel/vm_ram.h>
#include <kestrel/vm_virtio.h>
#include <kestrel/vmid.h>

/* --- stage-2 table memory: pages owned by kestrel, zeroed --- */

static paddr_t s2_alloc(void *ctx, unsigned npages)
{
	struct vm *vm = ctx;
	paddr_t pa = mm_alloc_zeroed(npages, OWNER_KESTREL);

	if (pa)
		vm->s2_pages += npages;
	return pa;
}

static void s2_free(void *ctx, paddr_t pa, unsigned npages)
{
	struct vm *vm = ctx;

	vm->s2_pages -= npages;
	mm_free(pa, npages, OWNER_KESTREL);
}

static void *s2_va(void *ctx, paddr_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static void s2_tlb_flush(void *ctx, uint64_t ia, uint64_t size)
{
	(void)ia, (void)size;
	vm_s2_flush(ctx);
}

static const struct pgtable_mm s2_mm_template = {s2_alloc, s2_free, s2_va, s2_tlb_flush, NULL};

/* --- guest console output --- */

static void guest_output(struct vpl011 *u, char c)
{
	struct vm *vm = (struct vm *)(void *)((char *)u - offsetof(struct vm, uart));

	vconsole_output(vm, c);
}

static void uart_line(struct vpl011 *u, bool level)
{
	struct vm *vm = (struct vm *)(void *)((char *)u - offsetof(struct vm, uart));

	vgic_set_line(vm, 32 + GUEST_UART_SPI, level);
}

static int build_dtb(struct vm *vm)
{
	const struct vm_config *cfg = &vm->config;
	struct guest_dtb_params p = {
	    .ram_base = ipa_addr(vm->ram_ipa),
	    .ram_size = vm->ram_size,
	    .vcpus = vm->vcpu_count,
	    .pmu = hyp.has_pmu,
	    .bootargs = cfg->bootargs,
	    .initrd_size = cfg->initrd_size,
	    .initrd_start = ALIGN_DOWN(
		ipa_addr(vm->ram_ipa) + vm->ram_size - SZ_2M - cfg->initrd_size, PAGE_SIZE),
	};
	int size;

	shm_dtb_params(vm, &p);
	p.nvirtio = vm->config.nvirtio;
	p.host_fdt = platform.fdt;
	p.npassthrough = vm->config.npassthrough;
	for (unsigned i = 0; i < p.npassthrough; i++)
		p.passthrough[i] = vm->config.passthrough[i];
	vm->dtb_pa = mm_alloc_zeroed(GUEST_DTB_MAX / PAGE_SIZE, OWNER_KESTREL);
	if (!vm->dtb_pa)
		return vm_refuse(vm, "no memory left for its device tree");
	fpsimd_claim_for_kestrel(); /* libfdt uses FP/SIMD registers */
	size = guest_dtb_build((void *)(uintptr_t)vm->dtb_pa, GUEST_DTB_MAX, &p);
	fpsimd_release_from_kestrel();
	if (size < 0)
		return vm_refuse(vm, "its device tree does not fit in %u KiB (bootargs too long?)",
				 GUEST_DTB_MAX / 1024);
	vm->dtb_size = (uint64_t)size;
	return E_OK;
}

/*
 * Every emulated device of the VM goes into its MMIO table here, and only here. The layout
 * is kestrel's own (platform.h), so a refused insert is a kestrel bug: the VM is refused
 * rather than run with one device shadowing another.
 */
static int attach_devices(struct vm *vm)
{
	struct mmio_dev *devs[] = {&vm->uart.dev,	 &vm->vgic.dist_dev, &vm->its.mmio,
				   &vm->vgic.redist_dev, shm_attach(vm),     vm_virtio_attach(vm)};

	vm->mmio_count = 0;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		vm->vcpus[i].mmio_last = NULL;
	for (unsigned i = 0; i < ARRAY_SIZE(devs); i++) {
		int err;
		if (!devs[i])
			continue;
		err = mmio_insert(vm->mmio, &vm->mmio_count, VM_MMIO_MAX, devs[i]);
		if (err)
			return vm_refuse(vm, "emulated device %s at 0x%llx: %s", devs[i]->name,
					 (unsigned long long)devs[i]->base,
					 err == -E_EXIST ? "overlaps another"
							 : "no room in the MMIO table");
	}
	return E_OK;
}

/* --- SVE: the VM's vector length and its vCPUs' registers --- */

/*
 * The length its configuration asks for (sve-vector-length, already a multiple of 128 bits
 * up to 2048: vmconfig.c), else the longest the CPU implements. ZCR_EL2 caps what the guest
 * gets at that, but a length the CPU lacks would silently be the next shorter one: refused.
 * The registers are in pages of kestrel's taken here, sized for that length and the VM's
 * vCPUs (546 bytes per quadword of length: 8.5 KiB a vCPU at 2048 bits), not in struct vcpu,
 * which would carry the longest length's for every vCPU kestrel could ever have (VM_MAX *
 * VCPU_MAX of them) whatever the VMs use.
 */
static int sve_setup(struct vm *vm)
{
	unsigned bits = vm->config.sve_bits, vq = bits / (SVE_VQ_BYTES * 8);
	uint64_t stride;

	if (!hyp.sve_vqs) {
		if (bits)
			return vm_refuse(vm, "property 'sve-vector-length': this CPU has no SVE");
		return E_OK;
	}
	if (!vq)
		vq = 32 - (unsigned)__builtin_clz(hyp.sve_vqs);
	if (!(hyp.sve_vqs & BIT(vq - 1))) {
		char have[6 * SVE_VQ_MAX] = "", *at = have;
		for (unsigned i = 1; i <= SVE_VQ_MAX; i++)
			if (hyp.sve_vqs & BIT(i - 1))
				at += snprintf(at, have + sizeof(have) - at, " %u", i * 128);
		return vm_refuse(vm,
				 "property 'sve-vector-length': this CPU has no %u-bit vectors (it "
				 "has:%s)",
				 bits, have);
	}
	stride = SVE_STATE_SIZE(vq);
	vm->sve_pages = (stride * vm->vcpu_count + PAGE_SIZE - 1) >> PAGE_SHIFT;
	vm->sve_pa = mm_alloc(vm->sve_pages, PAGE_SIZE, OWNER_KESTREL);
	if (!vm->sve_pa)
		return vm_refuse(vm, "no memory left for its SVE registers");
	vm->sve_vq = vq;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		vm->vcpus[i].sve_regs = (uint8_t *)(uintptr_t)vm->sve_pa + i * stride;
	return E_OK;
}

void vm_build_sve_release(struct vm *vm)
{
	if (vm->sve_pa) /* what its guests left in vector registers goes with them */
		mm_scrub_free(vm->sve_pa, vm->sve_pages, OWNER_KESTREL);
	vm->sve_pa = 0;
	vm->sve_vq = 0;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		vm->vcpus[i].sve_regs = NULL;
}

/* With copy_images false, the images are laid out (and refused if they do not fit) but not
   copied: the caller copies them with vm_images_step. */
static int build(struct vm *vm, bool copy_images)
{
	int err;

	vm->ram_lazy = false; /* until vm_ram_setup: a failed build scrubs all it got */
	vm->vmid = vmid_alloc();
	if (!vm->vmid)
		return vm_refuse(vm, "no VMID left");
	if (vm->config.direct_map && vm->config.mem_base)
		vm->ram_pa = pa_init(
		    mm_claim(vm->config.mem_base, vm->ram_size >> PAGE_SHIFT, OWNER_VM(vm->id)));
	else
		vm->ram_pa = pa_init(mm_alloc(vm->ram_size >> PAGE_SHIFT, SZ_2M, OWNER_VM(vm->id)));
	if (!pa_addr(vm->ram_pa)) {
		vm_release(vm, false);
		if (vm->config.direct_map && vm->config.mem_base)
			return vm_refuse(
			    vm,
			    "property 'memory-base': memory at 0x%llx is already in use "
			    "(kestrel, images or another VM)",
			    (unsigned long long)vm->config.mem_base);
		return vm_refuse(vm, "property 'memory': %llu MiB is more than the free memory",
				 (unsigned long long)(vm->ram_size >> 20));
	}
	/* Direct-mapped: the guest sees its RAM where it really is, so DMA addresses work. */
	vm->ram_ipa = vm->config.direct_map ? ipa_from_pa(vm->ram_pa)
		      : vm->config.mem_base ? ipa_init(vm->config.mem_base)
					    : ipa_init(GUEST_RAM_BASE);
	vm->s2_mm = s2_mm_template;
	vm->s2_mm.ctx = vm;
	err = pgtable_init(&vm->s2, hyp.ipa_bits, true, &vm->s2_mm);
	if (!err)
		err = vm_ram_setup(vm);
	if (err) {
		vm_release(vm, false);
		return vm_refuse(vm, "no memory left for its stage-2 tables");
	}
	if (!err)
		err = shm_map(vm);
	if (!err)
		err = vm_passthrough_map(vm);
	if (err) {
		vm_release(vm, false);
		return vm_refuse(vm, "no memory left for its stage-2 tables");
	}
	vm->vttbr = vm->s2.root | ((uint64_t)vm->vmid << 48);
	err = sve_setup(vm);
	if (err) {
		vm_release(vm, false);
		return err;
	}
	err = build_dtb(vm);
	if (!err)
		err = copy_images ? vm_images_load(vm) : vm_images_begin(vm);
	if (err) {
		vm_release(vm, false);
		return err;
	}
	vm->con_len = 0; /* a stopped run's unfinished output line is not this run's */
	/* Input arrives only through the UART interrupt on one CPU (vconsole.c), never by a
	   guest polling the physical UART from whichever CPU it runs on. */
	vpl011_init(&vm->uart, GUEST_UART_BASE, guest_output);
	vm->uart.irq_line = uart_line;
	err = vm_virtio_build(vm);
	if (err) {
		vm_release(vm, false);
		return err;
	}
	vgic_init(vm, gicv3_list_regs(), &vm_vgic_hooks);
	err = attach_devices(vm);
	if (err) {
		vm_release(vm, false);
		return err;
	}
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		memset(vm->vcpus[i].stats, 0, sizeof(vm->vcpus[i].stats));
	if (invariants_check_vm(vm, "built")) {
		vm_release(vm, false);
		return vm_refuse(vm, "its stage 2 breaks kestrel's isolation invariants");
	}
	vm->state = VM_STOPPED;
	return E_OK;
}

int vm_build(struct vm *vm)
{
	return build(vm, true);
}

int vm_build_unloaded(struct vm *vm)
{
	return build(vm, false);
}
